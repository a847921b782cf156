"""/api/v1/docs: Swagger UI from the vendored files (static/vendor/swagger-ui-*), no CDN."""

from flask import render_template

from blueprints.api import bp


@bp.get("/docs")
@bp.doc(hide=True)
def docs():
    return render_template("api/docs.html")
