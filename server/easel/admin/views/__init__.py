"""One module per group of panel pages."""
