//! The 24 operations of the Qyvo REST API and the routes that reach them.
//!
//! The method and path of each operation are the SDK's ([`qyvo::catalog`], generated from
//! `openapi.yaml`): the mock only names the operations, so the two cannot drift.

use std::fmt;
use std::str::FromStr;

use hyper::Method;

macro_rules! operations {
    ($($variant:ident => $id:literal;)*) => {
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
                #[doc = concat!("`", $id, "`.")]
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
        }
    };
}

impl Operation {
    /// The SDK's description of the operation: method, path, retry class.
    pub fn catalog(self) -> &'static qyvo::catalog::Operation {
        // Every variant names an operation of the catalog: `every_operation_is_in_the_catalog`.
        qyvo::catalog::operation(self.operation_id())
            .unwrap_or_else(|| panic!("{} is not in qyvo::catalog", self.operation_id()))
    }

    /// The path of the operation, relative to the `/api/v1` base URL.
    pub fn path(self) -> &'static str {
        self.catalog().path
    }

    /// The HTTP method of the operation.
    pub fn method(self) -> Method {
        Method::from_bytes(self.catalog().method.as_bytes()).unwrap_or(Method::POST)
    }
}

operations! {
    Me => "me";
    NewMessageReceived => "new_message_received";
    NewCampaignSent => "new_campaign_sent";
    NewFlowTriggered => "new_flow_triggered";
    NewSequenceTriggered => "new_sequence_triggered";
    SendTemplateMessage => "send_template_message";
    SendTextMessage => "send_text_message";
    CreateContact => "create_contact";
    UpdateContact => "update_contact";
    GetContact => "get_contact";
    SearchContacts => "search_contacts";
    AddTag => "add_tag";
    RemoveTag => "remove_tag";
    ListTemplates => "list_templates";
    GetTemplate => "get_template";
    ListTags => "list_tags";
    TriggerSequence => "trigger_sequence";
    GetSequence => "get_sequence";
    TriggerFlow => "trigger_flow";
    GetFlow => "get_flow";
    DropdownTemplates => "dropdown_templates";
    DropdownSequences => "dropdown_sequences";
    DropdownFlows => "dropdown_flows";
    DropdownTemplateVariables => "dropdown_template_variables";
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
    fn every_operation_is_in_the_catalog() {
        let mut ours: Vec<_> = Operation::ALL.iter().map(|op| op.operation_id()).collect();
        ours.sort_unstable();
        let catalog: Vec<_> = qyvo::catalog::operations().iter().map(|op| op.id).collect();
        assert_eq!(ours, catalog);
        for op in Operation::ALL {
            assert_eq!(op.method().as_str(), op.catalog().method);
        }
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
