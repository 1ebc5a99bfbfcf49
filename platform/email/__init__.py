"""Email in the substrate: raw messages kept, parsed, threaded into conversations, linked."""
