"""The merchant's admin panel at ``/admin/``: server-rendered pages over the same services the CLI uses.

``routes.py`` holds the URL map, ``sessions.py`` the signed cookie and CSRF tokens, ``auth.py`` who is
signed in and what their role lets them see, ``forms.py`` reading posted forms, ``views/`` one module per
page group, ``chart.py`` the dashboard's SVG. Add a page: a view module, its routes, its template.
"""
