-- qyvo's shared state on PostgreSQL, schema version 1 (hand-written; applied once, in a
-- transaction, by `qyvo::postgres::Postgres::migrate`, or by your own migration tool).
--
-- Poller checkpoints with leases: one row per poller name. The replica named in `holder` may
-- poll until `lease_expires_at`; `fencing_token` grows with every change of holder, and a
-- checkpoint is only saved by the holder of the current token.
CREATE TABLE qyvo_poll_checkpoints (
    name             text PRIMARY KEY,
    checkpoint       jsonb,
    holder           text,
    fencing_token    bigint NOT NULL DEFAULT 0,
    lease_expires_at timestamptz
);

-- Campaigns: one template sent to many recipients by any number of workers.
CREATE TABLE qyvo_campaigns (
    id          text PRIMARY KEY,
    template_id text NOT NULL,
    language    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per recipient. A worker claims a `pending` (or due `not_sent`) row with
-- SELECT ... FOR UPDATE SKIP LOCKED, writes `sending` and commits before the send, and the
-- outcome after it. A `sending` row whose worker died stays `sending`: its outcome is unknown
-- and it is never sent again.
CREATE TABLE qyvo_campaign_recipients (
    campaign_id text NOT NULL REFERENCES qyvo_campaigns (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    phone       text NOT NULL,
    variables   jsonb NOT NULL,
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'rejected', 'not_sent', 'unknown')),
    detail      text,
    message_id  text,
    worker      text,
    attempts    integer NOT NULL DEFAULT 0,
    retry_at    timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, position)
);

CREATE INDEX qyvo_campaign_recipients_claimable
    ON qyvo_campaign_recipients (campaign_id, position)
    WHERE status IN ('pending', 'not_sent');
