"""The embeddable player (/videos/embed/{id}) and oEmbed (/services/oembed) for watch URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app import videos
from app.serialize import EMBED_HEIGHT, EMBED_WIDTH, embed_html
from handlers.base import APIHandler, PageHandler, Problem, public
from handlers.player import player_context
from handlers.videos import visible_video
from models.videos import Privacy


class EmbedHandler(PageHandler):
    """The player alone, for any web site's iframe."""

    read_cached = True

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.clear_header("X-Frame-Options")
        self._set_csp()

    def _set_csp(self) -> None:
        super()._set_csp()
        policy = self._headers["Content-Security-Policy"]
        self.set_header(
            "Content-Security-Policy", policy.replace("frame-ancestors 'self'", "frame-ancestors *")
        )

    @public
    def get(self, ref: str) -> None:
        video = visible_video(self, ref)
        if not video.is_published or not video.hls_master:
            raise Problem(404, "This video cannot be played yet.")
        master_url = videos.media_url(self.shoal, video, video.hls_master)
        if not video.is_local:
            self.allow_connect(master_url)
        self.render_page(
            "embed.mako",
            video=video,
            master_url=master_url,
            player=player_context(self, video, master_url),
        )


class OEmbedHandler(APIHandler):
    """oEmbed for watch URLs of this server (JSON; XML is refused with 501 as allowed)."""

    @public
    def get(self) -> None:
        url = self.get_argument("url", "")
        if self.get_argument("format", "json") != "json":
            raise Problem(501, "Only the json format is supported.")
        parts = urlsplit(url)
        match = re.fullmatch(r"/(?:w|videos/watch|videos/embed)/([A-Za-z0-9-]{16,36})", parts.path)
        if parts.netloc != self.shoal.host or not match:
            raise Problem(404, "Not a video of this server.")
        video = videos.find_video(match.group(1))
        if video is None or video.privacy == Privacy.PRIVATE or not video.is_published:
            raise Problem(404, "Video not found")
        width = min(self.int_argument("maxwidth", EMBED_WIDTH, 100, 4000), EMBED_WIDTH * 4)
        height = min(self.int_argument("maxheight", EMBED_HEIGHT, 60, 4000), round(width * 9 / 16))
        base = self.shoal.base_url
        data = {
            "type": "video",
            "version": "1.0",
            "html": embed_html(base, str(video.uuid), video.name, width, height),
            "width": width,
            "height": height,
            "title": video.name,
            "author_name": video.channel.display_name,
            "author_url": f"{base}/c/{video.channel.name}",
            "provider_name": self.shoal.instance_name,
            "provider_url": base,
            "cache_age": 3600,
        }
        thumb = videos.image_url(self.shoal, video, "thumbnails")
        if thumb:
            data.update({"thumbnail_url": thumb, "thumbnail_width": 280, "thumbnail_height": 157})
        self.send(data)


ROUTES = [
    (r"/videos/embed/(?P<ref>[A-Za-z0-9-]{1,36})", EmbedHandler),
    (r"/services/oembed", OEmbedHandler),
]
