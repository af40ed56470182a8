"""The server's public about page, and its editing by an administrator."""

from __future__ import annotations

from app import about
from handlers.base import PageHandler, Problem, public


class AboutPageHandler(PageHandler):
    read_cached = True

    @public
    def get(self) -> None:
        self.render_page("about.mako", about=about.get(self.shoal), fields=about.FIELDS)


class EditAboutHandler(PageHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self.user.is_admin:
            raise Problem(403, "Only administrators edit the about page.")

    def get(self) -> None:
        self.render_page(
            "about_edit.mako", values=about.get(self.shoal), fields=about.FIELDS, error=None
        )

    def post(self) -> None:
        values = {key: self.get_body_argument(key, "") for key in about.FIELDS}
        try:
            about.update(values)
        except about.AboutError as err:
            self.set_status(400)
            self.render_page(
                "about_edit.mako", values=values, fields=about.FIELDS, error=(err.field, str(err))
            )
            return
        self.redirect_see_other("/about")


ROUTES = [
    (r"/about", AboutPageHandler),
    (r"/admin/about", EditAboutHandler),
]
