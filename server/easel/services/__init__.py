"""Services: use cases that join the domain to storage, called by the HTTP layer and the CLI."""
