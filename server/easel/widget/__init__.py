"""The embeddable widget: its JSON API, code.js serving, previews and the cart bridge."""
