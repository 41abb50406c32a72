"""Fulfilment: turning accepted orders into vendor orders, durably, and telling merchants what happens.

``queue.py`` (jobs as rows, leases) and ``worker.py`` (the loop) run the work; ``service.py`` holds the
job handlers; ``planner.py`` splits an order into vendor orders ("parts", ``parts.py``) and
``drivers/`` submit them, one module per vendor; ``status.py`` derives an order's status from its parts
and ``progress.py`` applies vendor news (forward only, tracking merged); ``merchant_callbacks.py`` and
``webhook_signature.py`` deliver signed events to merchants; ``webhooks.py`` takes vendors' callbacks in
and ``vendor_files.py`` serves print files to vendors. ``build.py`` assembles it all from settings.
"""
