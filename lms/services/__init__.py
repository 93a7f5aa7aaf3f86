"""Use cases over the database. Each takes the session (and `now`, the actor...) and never commits: the
caller (a view or a CLI command) owns the transaction."""
