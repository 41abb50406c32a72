"""Merchant pages for the browser tests, built from the Image2ART document's snippets, verbatim."""

from __future__ import annotations

SNIPPET = ('<script id="nep_widget" type="text/javascript" src="{easel}/widget/v1/code.js?api_key={key}"></script>\n'
           '<div id="box_widget"></div>')

# "Style Customization", as the document prints it.
CSS_OVERRIDES = """
/* Customizing code must be included in the widget host site css files */
/* Search page assets left side bar --> Change background color to gray */
#nep_widget #sidebar{
    background: gray;
}

/* Search page images container --> Change background color to gray */
#nep_widget #images{
    background: gray;
}

/* Product page --> Change the image title font size */
#nep_widget h3 {
    font-size:14px !important;
}
"""

# "Custom Price Control", first example (it forgets a `return` inside the `if`).
SET_PRICE_FIRST = """
<script>

image2art.widget.setPrice = function(product) {
    if (product["style"] == "PF") {
        product["price"] * 1.5;
    }

    return product["price"] * 1.25;
};

</script>
"""

# Second example; the skus are the document's placeholders unless a test swaps in real ones.
SET_PRICE_SECOND = """
<script>
    var skuPrices = {
        "sku1": 139,
        "sku2": 159,
        "sku3": 179
    }

    image2art.widget.setPrice = function(product) {
        if (skuPrices[product["sku"]]) {
            return skuPrices[product["sku"]];
        }

        return product["price"]
    }
</script>
"""

# "Events": every event bound the document's way, recorded in order for the test to read.
EVENTS = """
<script>
    window.seen = [];
    image2art.$(window).on('widget:ready', function(event) {
        // widget ready code
        window.seen.push('widget:ready');
    });
    image2art.$(window).on('widget:loaded', function(event) { window.seen.push('widget:loaded'); });
    image2art.$(window).on('widget:price:change', function(event) { window.seen.push('widget:price:change'); });
    image2art.$(window).on('widget:price:changed', function(event, detail) {
        window.seen.push('widget:price:changed');
        window.lastShown = detail.price;
        window.lastProduct = detail.product;
    });
    image2art.$(window).on('widget:cart:added', function(event, detail) { window.seen.push('widget:cart:added'); window.added = detail; });
    image2art.$(window).on('widget:login:required', function(event, detail) { window.seen.push('widget:login:required'); });
</script>
"""


def options(customer_id: str | None = None, login_url: str = "/merchant/login", projects: bool = False,
            pricing: bool = False, hardware: bool = True, token: str | None = None) -> str:
    """``setOptions`` as the document shows it (values filled in)."""
    def js(value: str | None) -> str:
        return "null" if value is None else f'"{value}"'

    extra = f"\n\t\tCustomerToken: {js(token)}," if token else ""
    return f"""
<script type="text/javascript">
	image2art.widget.setOptions({{{extra}
		CustomerId: {js(customer_id)}, // Only set this if your user is logged into your site. Otherwise set to null.
		LoginUrl: {js(login_url)}, // Your site's login page.
		AuthRequired: {{
			projects: {str(projects).lower()}, // Set to true if user must be logged in to create and manage projects.
			pricing: {str(pricing).lower()} // Set to true if user must be logged in to view pricing.
		}},
		ShowHardwareOption: {str(hardware).lower()} // Show security hardware option for eligible substrates.
	}});
</script>
"""


def shop(easel: str, key: str = "demo", *, head: str = "", after: str = "", before: str = "") -> str:
    """A merchant page: the snippet, then whatever the merchant adds after it."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>A merchant</title>{head}</head>
<body><h1>A merchant's page</h1>{before}
{SNIPPET.format(easel=easel, key=key)}
{after}
</body></html>"""
