"""Pre- and post-training questionnaires, anonymous by default after the session, and their results."""
