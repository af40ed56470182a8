"""The search page: local results at once; a remote handle or URL is looked up in a job
and the page updates (HTMX polling) when the job has run."""

from __future__ import annotations

from app import search
from handlers.base import PageHandler, public
from models.jobs import Job, JobState


class SearchPageHandler(PageHandler):
    @public
    def get(self) -> None:
        q = self.get_argument("q", "").strip()[:500]
        job_id = None
        if q and search.is_remote_reference(q, self.shoal.host) and self.user is not None:
            job_id = search.queue_lookup(q)
        self._render(q, job_id, full=True)

    def _render(self, q: str, job_id: int | None, full: bool) -> None:
        viewer = self.user.id if self.user else None
        found = list(search.videos_query(self.shoal, q, viewer).limit(48)) if q else []
        chans = list(search.channels_query(self.shoal, q).limit(24)) if q else []
        context = {"q": q, "videos": found, "channels": chans, "job_id": job_id}
        if full:
            remote = search.is_remote_reference(q, self.shoal.host)
            self.render_page("search.mako", remote=remote, search_q=q, **context)
        else:
            self.render_fragment("search.mako", "results", **context)


class LookupStateHandler(SearchPageHandler):
    """Polled by the search page while a lookup job runs; the answer without a trigger ends it."""

    @public
    def get(self) -> None:
        q = self.get_argument("q", "").strip()[:500]
        job = Job.get_or_none(Job.id == self.int_argument("job", 0))
        waiting = job is not None and job.state in (JobState.PENDING, JobState.RUNNING)
        self._render(q, job.id if waiting and job else None, full=False)


ROUTES = [
    (r"/search", SearchPageHandler),
    (r"/search/lookup", LookupStateHandler),
]
