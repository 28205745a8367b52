"""Training objectives and the samplers that go with them. A sampler must match the objective the model was
trained with:

- `flow_matching` (default): x_σ = (1-σ)·x0 + σ·ε, target ε - x0, model timestep 1000·σ. Samplers `euler`
  (FlowMatchEulerDiscreteScheduler) and `dpmsolver` (DPM-Solver++ with flow sigmas).
- `v_prediction`: x_t = α_t·x0 + σ_t·ε, target α_t·ε - σ_t·x0. Samplers `ddim` and `dpmsolver`
  (zero-terminal-SNR betas, trailing timestep spacing).

Sampling modes: few-step (4–8 steps, `dpmsolver` recommended) and quality (25–50 steps, `euler` or `ddim`).
"""
from __future__ import annotations

import torch

OBJECTIVES = ("flow_matching", "v_prediction")
SAMPLERS = ("euler", "dpmsolver", "ddim")

# The v-prediction noise schedule (Stable Diffusion's betas, rescaled to zero terminal SNR so that 1 step from
# pure noise is consistent with training).
_V_SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                   prediction_type="v_prediction", rescale_betas_zero_snr=True, timestep_spacing="trailing")


def objective_of(scheduler) -> str:
    """The training objective a diffusers scheduler samples for."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    if isinstance(scheduler, FlowMatchEulerDiscreteScheduler):
        return "flow_matching"
    pred = scheduler.config.get("prediction_type")
    if pred == "flow_prediction":
        return "flow_matching"
    if pred == "v_prediction":
        return "v_prediction"
    raise ValueError(f"{type(scheduler).__name__} with prediction_type={pred!r} matches no supported objective")


def make_scheduler(objective: str = "flow_matching", sampler: str = "euler", shift: float = 1.0):
    """A fresh diffusers scheduler for `objective` ("flow_matching" | "v_prediction") and `sampler`
    ("euler" | "dpmsolver" | "ddim"); `shift` > 1 spends more flow-matching steps at high noise."""
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler

    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if objective == "flow_matching":
        if sampler == "euler":
            return FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
        if sampler == "dpmsolver":
            return DPMSolverMultistepScheduler(num_train_timesteps=1000, use_flow_sigmas=True, flow_shift=shift,
                                               prediction_type="flow_prediction", solver_order=2)
        raise ValueError("the ddim sampler needs objective v_prediction")
    if sampler == "ddim":
        return DDIMScheduler(**_V_SCHEDULE, clip_sample=False, set_alpha_to_one=True)
    if sampler == "dpmsolver":
        return DPMSolverMultistepScheduler(**_V_SCHEDULE, solver_order=2, final_sigmas_type="zero")
    raise ValueError("the euler sampler needs objective flow_matching")


class TrainingObjective:
    """Noising and regression target of one objective, for training.

    `noisy(x0, noise, u)` takes clean latents x0 (N, ...), Gaussian noise of the same shape and a noise level
    u ∈ [0, 1] per sample (N,) (0 = clean, 1 = pure noise) and returns (x_u, model timestep (N,), target).
    """

    def __init__(self, objective: str = "flow_matching"):
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.objective = objective
        if objective == "v_prediction":
            from diffusers import DDPMScheduler

            sched = DDPMScheduler(**_V_SCHEDULE)
            self._alphas_cumprod = sched.alphas_cumprod.clone()

    def sample_levels(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n,) noise levels in [0, 1]: logit-normal for flow matching (mass in the middle, as in SD3), uniform
        over the training timesteps for v-prediction."""
        if self.objective == "flow_matching":
            return torch.sigmoid(torch.randn(n, generator=generator))
        return (torch.randint(0, 1000, (n,), generator=generator).float() + 0.5) / 1000.0

    def noisy(self, x0: torch.Tensor, noise: torch.Tensor, u: torch.Tensor):
        shape = (-1,) + (1,) * (x0.ndim - 1)
        u = u.to(x0.device, torch.float32)
        if self.objective == "flow_matching":
            s = u.view(shape).to(x0.dtype)
            return (1 - s) * x0 + s * noise, u * 1000.0, noise - x0
        t = torch.clamp((u * 1000).long(), 0, 999)
        acp = self._alphas_cumprod.to(x0.device)[t]
        a, s = acp.sqrt().view(shape).to(x0.dtype), (1 - acp).sqrt().view(shape).to(x0.dtype)
        x = a * x0 + s * noise
        x = torch.where(u.view(shape) > 0, x, x0)  # level 0 means exactly clean (context frames)
        return x, torch.where(u > 0, t.float(), torch.zeros_like(u)), a * noise - s * x0
