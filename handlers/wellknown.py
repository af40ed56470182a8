"""WebFinger, host-meta and NodeInfo: how other servers find this one and its actors."""

from __future__ import annotations

import json

from app.federation import actors
from app.serialize_server import nodeinfo
from handlers.base import APIHandler, Problem, public


class WebFingerHandler(APIHandler):
    """acct:name@host for accounts, channels and the server actor `peertube`."""

    @public
    def get(self) -> None:
        resource = self.get_argument("resource", "")
        name = ""
        if resource.startswith("acct:"):
            user, _, host = resource[5:].lstrip("@").partition("@")
            if host in ("", self.shoal.host):
                name = user
        else:  # an actor URL of ours
            for prefix in ("/accounts/", "/video-channels/"):
                base = self.shoal.base_url + prefix
                if resource.startswith(base):
                    name = resource[len(base) :]
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
