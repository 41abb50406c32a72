"""One fulfilment driver per vendor (``base.Driver``): how a part is submitted and read back."""
