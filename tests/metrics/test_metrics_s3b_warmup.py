"""``python -m metrics.warmup`` compiles this session's kernels and the references they are tested against."""

from __future__ import annotations


def test_warmup_compiles_the_new_kernels():
    from metrics import centre_kernel, contact_sweep, kernels, warmup

    warmup.warm_up()
    for f in (contact_sweep._sweep_boxes, centre_kernel.block_centres,
              kernels.lead_values, kernels._contact_pass):
        assert f.signatures, f.__name__
