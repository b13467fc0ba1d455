//! The 24 operations of the Qyvo REST API and the routes that reach them.

use std::fmt;
use std::str::FromStr;

use hyper::Method;

macro_rules! operations {
    ($($variant:ident => $id:literal, $method:ident, $path:literal;)*) => {
        /// One operation of the Qyvo REST API, named after its `operationId` in `openapi.yaml`.
        ///
        /// Journal entries, counts and fault targets refer to operations with this type. It
        /// parses from and displays as the `operationId`.
        ///
        /// ```
        /// use qyvo_mock::Operation;
        ///
        /// let op: Operation = "send_template_message".parse()?;
        /// assert_eq!(op, Operation::SendTemplateMessage);
        /// assert_eq!(op.path(), "/actions/send-template-message");
        /// # Ok::<(), qyvo_mock::UnknownOperation>(())
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = concat!("`", $id, "`: `", stringify!($method), " ", $path, "`.")]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation, in the order of `openapi.yaml`.
            pub const ALL: &[Operation] = &[$(Operation::$variant,)*];

            /// The `operationId` of the operation, e.g. `send_template_message`.
            pub fn operation_id(self) -> &'static str {
                match self {
                    $(Operation::$variant => $id,)*
                }
            }

            /// The path of the operation, relative to the `/api/v1` base URL.
            pub fn path(self) -> &'static str {
                match self {
                    $(Operation::$variant => $path,)*
                }
            }

            /// The HTTP method of the operation.
            pub fn method(self) -> Method {
                match self {
                    $(Operation::$variant => Method::$method,)*
                }
            }
        }
    };
}

operations! {
    Me => "me", GET, "/me";
    NewMessageReceived => "new_message_received", GET, "/triggers/new-message-received";
    NewCampaignSent => "new_campaign_sent", GET, "/triggers/new-campaign-sent";
    NewFlowTriggered => "new_flow_triggered", GET, "/triggers/new-flow-triggered";
    NewSequenceTriggered => "new_sequence_triggered", GET, "/triggers/new-sequence-triggered";
    SendTemplateMessage => "send_template_message", POST, "/actions/send-template-message";
    SendTextMessage => "send_text_message", POST, "/actions/send-text-message";
    CreateContact => "create_contact", POST, "/actions/create-contact";
    UpdateContact => "update_contact", POST, "/actions/update-contact";
    GetContact => "get_contact", POST, "/actions/get-contact";
    SearchContacts => "search_contacts", POST, "/actions/search-contacts";
    AddTag => "add_tag", POST, "/actions/add-tag";
    RemoveTag => "remove_tag", POST, "/actions/remove-tag";
    ListTemplates => "list_templates", POST, "/actions/list-templates";
    GetTemplate => "get_template", POST, "/actions/get-template";
    ListTags => "list_tags", POST, "/actions/list-tags";
    TriggerSequence => "trigger_sequence", POST, "/actions/trigger-sequence";
    GetSequence => "get_sequence", POST, "/actions/get-sequence";
    TriggerFlow => "trigger_flow", POST, "/actions/trigger-flow";
    GetFlow => "get_flow", POST, "/actions/get-flow";
    DropdownTemplates => "dropdown_templates", GET, "/dropdowns/templates";
    DropdownSequences => "dropdown_sequences", GET, "/dropdowns/sequences";
    DropdownFlows => "dropdown_flows", GET, "/dropdowns/flows";
    DropdownTemplateVariables => "dropdown_template_variables", GET, "/dropdowns/template-variables";
}

/// What a request path resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// A known operation called with its method.
    Operation(Operation),
    /// A known path called with the wrong method.
    WrongMethod(Operation),
    /// No operation has this path.
    NotFound,
}

impl Route {
    /// Resolves a full request path (including the `/api/v1` prefix).
    pub(crate) fn resolve(method: &Method, full_path: &str) -> Route {
        let Some(path) = full_path.strip_prefix(crate::API_PREFIX) else {
            return Route::NotFound;
        };
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        match Operation::ALL.iter().find(|op| op.path() == path) {
            Some(op) if op.method() == *method => Route::Operation(*op),
            // Laravel answers HEAD on GET routes like GET.
            Some(op) if *method == Method::HEAD && op.method() == Method::GET => {
                Route::Operation(*op)
            }
            Some(op) => Route::WrongMethod(*op),
            None => Route::NotFound,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

/// The error returned when a string is not the `operationId` of any operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation {
    /// The string that was parsed.
    pub input: String,
}

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operation id `{}`", self.input)
    }
}

impl std::error::Error for UnknownOperation {}

impl FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.operation_id() == s)
            .ok_or_else(|| UnknownOperation {
                input: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_24_operations_with_unique_ids_and_paths() {
        assert_eq!(Operation::ALL.len(), 24);
        let mut ids: Vec<_> = Operation::ALL.iter().map(|op| op.operation_id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 24);
    }

    #[test]
    fn ids_round_trip() {
        for op in Operation::ALL {
            assert_eq!(op.to_string().parse::<Operation>(), Ok(*op));
        }
        assert!("nope".parse::<Operation>().is_err());
    }

    #[test]
    fn routes_resolve() {
        assert_eq!(
            Route::resolve(&Method::GET, "/api/v1/me"),
            Route::Operation(Operation::Me)
        );
        assert_eq!(
            Route::resolve(&Method::GET, "/api/v1/actions/get-contact"),
            Route::WrongMethod(Operation::GetContact)
        );
        assert_eq!(Route::resolve(&Method::GET, "/api/v2/me"), Route::NotFound);
        assert_eq!(
            Route::resolve(&Method::GET, "/api/v1/nope"),
            Route::NotFound
        );
    }
}
