"""Every main screen renders on a phone in the night theme (the scene of ``screenshots.py``,
which also writes the committed pictures under build/screenshots)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.e2e.browser import PHONE
from tests.e2e.screenshots import SCREENS, capture

pytestmark = pytest.mark.e2e


def test_every_main_screen_renders_dark_and_phone_sized(tmp_path: Path):
    shots = capture(tmp_path)
    assert [p.stem for p in shots] == list(SCREENS)
    for path in shots:
        image = Image.open(path).convert("L")
        assert image.size == (PHONE["width"], PHONE["height"]), path.name
        stats = ImageStat.Stat(image)
        # Flutter's loading splash is light grey and blank; a drawn night screen is dark
        # with text on it.
        assert stats.mean[0] < 80, f"{path.name} is not the dark theme"
        assert stats.stddev[0] > 15, f"{path.name} is blank"
