"""Typed thresholds of the EXP-* rules (defaults and bounds; witness/thresholds.toml mirrors them)."""

from __future__ import annotations

from pydantic import Field

from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("EXP-AVOID")
class AvoidanceThresholds(RuleThresholds):
    """EXP-AVOID: an expert's conflict of interest with a bidder."""

    years: int = Field(
        3, ge=0, le=50, description="past employment / directorship counts this long"
    )
    control_share: float = Field(0.5, gt=0, le=1)


@thresholds_section("EXP-COMMITTEE")
class CommitteeThresholds(RuleThresholds):
    """EXP-COMMITTEE: committee size and the share of experts."""

    min_members: int = Field(5, ge=1)
    expert_share: float = Field(0.6667, gt=0, le=1, description="compared to 4 decimals")


@thresholds_section("EXP-DEV")
class DeviationThresholds(RuleThresholds):
    """EXP-DEV: a subjective score far from the others' mean."""

    min_points: float = Field(3.0, ge=0)
    mean_share: float = Field(0.30, ge=0, le=10)
    min_peers: int = Field(2, ge=1, description="other experts' scores needed on the item")


@thresholds_section("EXP-OBJ")
class ObjectiveThresholds(RuleThresholds):
    """EXP-OBJ: experts disagree on an objective item."""

    tolerance: float = Field(0.0, ge=0, description="any difference above this is disagreement")


@thresholds_section("EXP-CLIQUE")
class CliqueThresholds(RuleThresholds):
    """EXP-CLIQUE: identical score sheets."""

    min_experts: int = Field(3, ge=2)
    min_items: int = Field(3, ge=1, description="vectors must cover this many items")


@thresholds_section("EXP-FAVOR")
class FavourThresholds(RuleThresholds):
    """EXP-FAVOR: one expert ranks one bidder far above the committee's consensus."""

    min_rank_gap: int = Field(2, ge=0, description="peers' median rank minus this expert's rank")
    min_bidders: int = Field(3, ge=2)
    min_peers: int = Field(2, ge=1)
    min_boost_share: float = Field(0.05, ge=0, le=1, description="lift beyond general leniency")


@thresholds_section("EXP-FAST")
class FastScoringThresholds(RuleThresholds):
    """EXP-FAST: scoring much faster than planned, or click-through."""

    planned_share: float = Field(0.5, gt=0, le=1)
    max_click_seconds: float = Field(2.0, gt=0)
    min_click_run: int = Field(10, ge=2)


@thresholds_section("EXP-FOCUS")
class FocusThresholds(RuleThresholds):
    """EXP-FOCUS: an expert keeps opening one bidder's file."""

    min_opens: int = Field(10, ge=1)
    share: float = Field(0.6, gt=0, le=1)
