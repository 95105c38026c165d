"""The Slack stand-in and the local sandbox page."""
