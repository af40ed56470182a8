"""Each server's own rules: video blocks, mutes (blocklists), reports, registrations."""
