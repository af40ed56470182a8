"""`python -m workers`: run the job runner until SIGTERM."""

from __future__ import annotations

import logging

from app.db import connect, migrate
from app.settings import Settings
from workers.runner import Runner


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s worker %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    connect(settings.database_url)
    migrate()
    runner = Runner(settings)
    runner.install_signal_handlers()
    logging.getLogger(__name__).info("worker %s ready", runner.worker_id)
    runner.run_forever()


if __name__ == "__main__":
    main()
