"""Channels and the unified inbox: messages from messengers land in conversations, linked to
the client who wrote them, and are answered from there (see README.md)."""
