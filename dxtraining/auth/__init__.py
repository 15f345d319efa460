"""Signing in and out, sign-up, invitations, password resets, and who may do what."""
