"""The transactional outbox: every outward message (SMS, e-mail, webhook, HTTP call,
in-app notice) is a row written in the caller's transaction and delivered after commit by
the delivery worker. See ``docs/notifications.md``."""
