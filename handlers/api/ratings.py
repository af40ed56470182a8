"""PUT /api/v1/videos/{id}/rate and GET /api/v1/users/me/videos/{id}/rating: likes and
dislikes as PeerTube clients send and read them; the counts show in the video's JSON."""

from __future__ import annotations

from app import auth
from app.social import ratings
from handlers.api.videos import video_or_problem
from handlers.base import APIHandler, Problem


class RateHandler(APIHandler):
    def put(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        rating = self.json_body().get("rating")
        if not isinstance(rating, str) or rating not in ratings.VALUES:
            raise Problem(
                400,
                "Incorrect request parameters: rating",
                invalid_params={"rating": (rating, "Should have a valid rate type")},
            )
        ratings.rate(video, auth.account_of(self.user), rating)
        self.no_content()


class MyRatingHandler(APIHandler):
    def get(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        rating = ratings.rating_of(video, auth.account_of(self.user))
        self.send({"videoId": video.id, "rating": rating})


ROUTES = [
    (r"/api/v1/videos/(?P<ref>[^/]+)/rate", RateHandler),
    (r"/api/v1/users/me/videos/(?P<ref>[^/]+)/rating", MyRatingHandler),
]
