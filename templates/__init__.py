"""Jinja2 templates of the web layer (shipped inside the package as search_app.templates)."""
