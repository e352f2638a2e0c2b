"""One module per rule group; ``registry`` maps every SPEC §4 rule id to its check."""
