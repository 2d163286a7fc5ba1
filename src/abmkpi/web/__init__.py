"""The web dashboard and JSON API, served from one process over a workspace."""
