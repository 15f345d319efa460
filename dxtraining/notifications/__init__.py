"""Email to people: a transactional outbox written by `notify`, delivered by `deliver_due`."""
