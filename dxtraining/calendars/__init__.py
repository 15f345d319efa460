"""Calendar files: .ics downloads, subscription feeds, and invitations attached to mail (RFC 5545, 7986)."""
