"""WebFinger, host-meta and NodeInfo: how other servers find this one and its actors."""

from __future__ import annotations

import json
import re

from app.federation import actors
from app.serialize_server import nodeinfo
from handlers.base import APIHandler, Problem, public

_ACCT = re.compile(r"^acct:@?(?P<name>[^@\s/]+)@(?P<host>[^@\s/]+)$")


def bad_resource(resource: str) -> Problem:
    """PeerTube's answer to a `resource` that is missing or not an acct: URI (400)."""
    return Problem(
        400,
        "Incorrect request parameters: resource",
        invalid_params={"resource": (resource or None, "Invalid value")},
        location="query",
    )


class WebFingerHandler(APIHandler):
    """acct:name@host for accounts, channels and the server actor `peertube`.

    A missing or malformed `resource` is a 400, as on PeerTube; a well-formed one that
    names no actor of this server (unknown name, other host, foreign URL) is a 404.
    Actor URLs of this server are accepted too (Mastodon sometimes asks with them).
    """

    read_cached = True

    @public
    def get(self) -> None:
        resource = self.get_argument("resource", "").strip()
        name = ""
        if resource.startswith("acct:"):
            match = _ACCT.match(resource)
            if match is None:
                raise bad_resource(resource)
            if match["host"].lower() == self.shoal.host.lower():
                name = match["name"]
        elif resource.startswith(("https://", "http://")):
            for prefix in ("/accounts/", "/video-channels/"):
                base = self.shoal.base_url + prefix
                if resource.startswith(base):
                    name = resource[len(base) :]
        else:
            raise bad_resource(resource)
        actor = actors.find_local(name) if name else None
        if actor is None:
            raise Problem(404, "Actor not found")
        url = actors.actor_url(self.shoal, actor)
        self.send(
            {
                "subject": f"acct:{actor.name}@{self.shoal.host}",
                "aliases": [url],
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": url},
                    {
                        "rel": "http://ostatus.org/schema/1.0/subscribe",
                        "template": f"{self.shoal.base_url}/remote-interaction?uri={{uri}}",
                    },
                ],
            }
        )


class HostMetaHandler(APIHandler):
    @public
    def get(self) -> None:
        self.set_header("Content-Type", "application/xml; charset=utf-8")
        self.finish(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" type="application/xrd+xml" template="{self.shoal.base_url}'
            '/.well-known/webfinger?resource={uri}"/>\n</XRD>'
        )


class NodeInfoLinksHandler(APIHandler):
    @public
    def get(self) -> None:
        self.set_header("Cache-Control", "max-age=600")
        base = self.shoal.base_url
        self.send(
            {
                "links": [
                    {
                        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                        "href": f"{base}/nodeinfo/2.0.json",
                    },
                    {
                        "rel": "https://www.w3.org/ns/activitystreams#Application",
                        "href": f"{base}/accounts/{actors.SERVER_ACTOR}",
                    },
                ]
            }
        )


class NodeInfoHandler(APIHandler):
    read_cached = True

    @public
    def get(self) -> None:
        self.set_header(
            "Content-Type",
            'application/json; charset=utf-8; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"',
        )
        self.finish(json.dumps(nodeinfo(self.shoal)))


ROUTES = [
    (r"/.well-known/webfinger", WebFingerHandler),
    (r"/.well-known/host-meta", HostMetaHandler),
    (r"/.well-known/nodeinfo", NodeInfoLinksHandler),
    (r"/nodeinfo/2.0(?:\.json)?", NodeInfoHandler),
]
