"""The optional scene prompt: a few tags (weather, time of day) turned into the denoiser's cross-attention tokens.

No text encoder is needed: each known tag has a learned token. A prompt is a comma- or space-separated list of
tags, e.g. "night, rain"; the empty prompt means "unspecified". The tokens are a learned scene token followed by
one token per tag, padded with a learned padding token to `max_tags + 1` tokens.
"""
from __future__ import annotations

import re

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

DEFAULT_TAGS = ("day", "night", "dawn", "dusk", "clear", "cloudy", "rain", "fog", "snow", "wet")


def parse_tags(prompt: str | None) -> list[str]:
    """The tags of a prompt, lower-case, in order, without repetitions."""
    tags: list[str] = []
    for tag in re.split(r"[,\s]+", (prompt or "").strip().lower()):
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def tags_from_description(description: str, vocabulary=DEFAULT_TAGS) -> str:
    """A prompt of the known tags whose word occurs in a free-text scene description (e.g. nuScenes'
    "Night, rain, parked cars"); "rain" also matches "raining" and "rainy"."""
    words = re.findall(r"[a-z]+", description.lower())
    return ", ".join(t for t in vocabulary if any(w == t or w.startswith(t) for w in words))


class ScenePromptEncoder(ModelMixin, ConfigMixin):
    """Prompts -> (B, max_tags + 1, cross_attention_dim) tokens for the denoiser's cross-attention."""

    @register_to_config
    def __init__(self, cross_attention_dim: int = 768, tags: tuple[str, ...] = DEFAULT_TAGS, max_tags: int = 4):
        super().__init__()
        self.scene_token = nn.Parameter(torch.randn(cross_attention_dim) * 0.02)
        self.pad_token = nn.Parameter(torch.randn(cross_attention_dim) * 0.02)
        self.tag_tokens = nn.Embedding(len(tags), cross_attention_dim)
        nn.init.normal_(self.tag_tokens.weight, std=0.02)
        self._index = {t: i for i, t in enumerate(tags)}

    def tag_ids(self, prompt: str | None) -> list[int]:
        """Vocabulary indices of a prompt's tags; an unknown tag is a ValueError naming the known ones."""
        tags = parse_tags(prompt)
        unknown = [t for t in tags if t not in self._index]
        if unknown:
            raise ValueError(f"unknown scene tag(s) {unknown}; known tags: {', '.join(self.config.tags)}")
        if len(tags) > self.config.max_tags:
            raise ValueError(f"at most {self.config.max_tags} scene tags, got {len(tags)}: {tags}")
        return [self._index[t] for t in tags]

    def forward(self, prompts: list[str | None]) -> torch.Tensor:
        length = self.config.max_tags + 1
        rows = []
        for prompt in prompts:
            ids = self.tag_ids(prompt)
            tok = [self.scene_token]
            if ids:
                tok += list(self.tag_tokens(torch.tensor(ids, device=self.scene_token.device)))
            tok += [self.pad_token] * (length - len(tok))
            rows.append(torch.stack(tok))
        return torch.stack(rows)


# Local solar hours of the time-of-day tags (the procedural sampler's windows, widened to cover the day).
TIME_TAGS = ((5.0, "dawn"), (7.5, "day"), (17.0, "dusk"), (19.75, "night"))
WEATHER_TAGS = {"clear": ("clear",), "overcast": ("cloudy",), "fog": ("fog",), "rain": ("rain", "wet")}


def environment_prompt(environment, vocabulary=DEFAULT_TAGS) -> str:
    """The prompt of a layout Environment (time_of_day h, weather): its time-of-day tag (night before 5 h and
    from 19:45, dawn from 5 h, day from 7:30, dusk from 17 h), its weather tags (overcast -> cloudy, rain ->
    rain, wet), then any of its free `tags` the vocabulary knows; only tags of `vocabulary`, at most four."""
    hour = float(environment.time_of_day) % 24.0
    time_tag = "night"
    for start, tag in TIME_TAGS:
        if hour >= start:
            time_tag = tag
    tags = [time_tag, *WEATHER_TAGS.get(environment.weather, ())]
    tags += [t for t in parse_tags(" ".join(getattr(environment, "tags", ()))) if t not in tags]
    return ", ".join([t for t in tags if t in vocabulary][:4])
