#!/usr/bin/env python3
"""A small PyTorch training step with NVTX ranges, for `flopscope profile`.

It runs a tiny transformer block in BF16: one warm-up step inside the NVTX range
"warmup" (first-call work: library handles, algorithm choice), one step counted by
PyTorch's own FLOP counter (torch.utils.flop_counter.FlopCounterMode) inside
"counted", then --steps more inside "step0", "step1", ... Each step's phases are
ranges of their own (forward / backward / optimizer).

The ranges are NVTX start/end ranges (torch.cuda.nvtx.range_start), not push/pop:
PyTorch's autograd engine launches the backward kernels from its device worker
thread, and a push/pop range covers only the launches of the thread that pushed it.

--flops-out F writes PyTorch's count per range as a flopscope.model-flops/1 document,
so that flopscope can set the hardware FLOPs of each range beside it:

    flopscope profile --set flops --tensor bf16 --out step.json -- \\
        python3 scripts/torch_step.py --flops-out torch_flops.json
    flopscope crosscheck step.json --model-flops torch_flops.json

The same count is given for "step0" too: the hardware FLOPs of "counted" and "step0"
should then agree, which shows that the counter did not change the kernels.

--device cpu runs the same step on the CPU (NVTX ranges are then marks nobody
reads): a check of this script, and of the document it writes, where no GPU is.
"""
import argparse
import contextlib
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--d-model", type=int, default=1024)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--flops-out", default="")
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    args = ap.parse_args()

    try:
        import torch
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError as e:
        print(f"torch_step: PyTorch is not installed ({e})", file=sys.stderr)
        return 3
    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch_step: no CUDA device visible to PyTorch", file=sys.stderr)
        return 3

    @contextlib.contextmanager
    def nvtx_range(name):
        rid = torch.cuda.nvtx.range_start(name)  # process-wide: covers autograd's threads
        try:
            yield
        finally:
            torch.cuda.nvtx.range_end(rid)

    torch.manual_seed(0)
    dev = torch.device(args.device)

    def synchronize():
        if args.device == "cuda":
            torch.cuda.synchronize()

    layer = torch.nn.TransformerEncoderLayer(
        d_model=args.d_model, nhead=args.heads, dim_feedforward=4 * args.d_model,
        batch_first=True, dtype=torch.bfloat16, device=dev)
    opt = torch.optim.SGD(layer.parameters(), lr=1e-3)
    batch = 1
    seq = args.tokens // batch
    x = torch.randn(batch, seq, args.d_model, device=dev, dtype=torch.bfloat16)

    def forward():
        return layer(x).float().pow(2).mean()

    def optimizer():
        opt.step()
        opt.zero_grad(set_to_none=True)

    def step(counts=None):
        """One step; with `counts`, each phase is counted by its own FlopCounterMode."""
        loss = None
        for phase in ("forward", "backward", "optimizer"):
            with nvtx_range(phase):
                counter = FlopCounterMode(display=False) if counts is not None else contextlib.nullcontext()
                with counter:
                    if phase == "forward":
                        loss = forward()
                    elif phase == "backward":
                        loss.backward()
                    else:
                        optimizer()
                if counts is not None:
                    by_op = counter.get_flop_counts().get("Global", {})
                    counts[phase] = {"flops": int(counter.get_total_flops()),
                                     "by_op": {str(op): int(v) for op, v in by_op.items()}}

    with nvtx_range("warmup"):
        step()
    counts = {}
    with nvtx_range("counted"):
        step(counts)
    synchronize()
    for i in range(args.steps):
        with nvtx_range(f"step{i}"):
            step()
    synchronize()

    total = sum(c["flops"] for c in counts.values())
    if args.flops_out:
        ranges = []
        for outer in ("counted", "step0") if args.steps > 0 else ("counted",):
            ranges.append({"nvtx": outer, "flops": total})
            ranges += [{"nvtx": f"{outer}/{phase}", **c} for phase, c in counts.items()]
        doc = {"schema": "flopscope.model-flops/1",
               "source": f"torch.utils.flop_counter.FlopCounterMode (torch {torch.__version__}); "
                         f"TransformerEncoderLayer bf16, batch {batch}, seq {seq}, "
                         f"d_model {args.d_model}, heads {args.heads}",
               "ranges": ranges}
        with open(args.flops_out, "w") as f:
            json.dump(doc, f, indent=2)
    print(f"torch_step: {args.steps} steps after the counted one; FlopCounterMode {total:.4g} FLOPs/step "
          + ", ".join(f"{p} {c['flops']:.4g}" for p, c in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
