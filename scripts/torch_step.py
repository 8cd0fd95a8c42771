#!/usr/bin/env python3
"""A small PyTorch training step with NVTX ranges, for `flopscope profile`.

It runs a few steps of a tiny transformer block in BF16, each phase inside an NVTX
range (forward / backward / optimizer), and writes PyTorch's own FLOP count for one
step (torch.utils.flop_counter.FlopCounterMode) to the JSON file named by --flops-out,
so flopscope's hardware tensor FLOPs can be set beside it.

    flopscope profile --out step.json -- python3 scripts/torch_step.py --flops-out torch_flops.json
"""
import argparse
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--d-model", type=int, default=1024)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--flops-out", default="")
    args = ap.parse_args()

    try:
        import torch
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError as e:
        print(f"torch_step: PyTorch is not installed ({e})", file=sys.stderr)
        return 3
    if not torch.cuda.is_available():
        print("torch_step: no CUDA device visible to PyTorch", file=sys.stderr)
        return 3

    torch.manual_seed(0)
    dev = torch.device("cuda")
    layer = torch.nn.TransformerEncoderLayer(
        d_model=args.d_model, nhead=args.heads, dim_feedforward=4 * args.d_model,
        batch_first=True, dtype=torch.bfloat16, device=dev)
    opt = torch.optim.SGD(layer.parameters(), lr=1e-3)
    batch = 1
    seq = args.tokens // batch
    x = torch.randn(batch, seq, args.d_model, device=dev, dtype=torch.bfloat16)

    def step():
        with torch.cuda.nvtx.range("forward"):
            y = layer(x)
            loss = y.float().pow(2).mean()
        with torch.cuda.nvtx.range("backward"):
            loss.backward()
        with torch.cuda.nvtx.range("optimizer"):
            opt.step()
            opt.zero_grad(set_to_none=True)

    # PyTorch's analytic count for exactly one step, outside the profiled steps.
    with FlopCounterMode(display=False) as counter:
        step()
    torch.cuda.synchronize()
    per_module = {str(k): {str(op): int(v) for op, v in d.items()}
                  for k, d in counter.get_flop_counts().items()}
    summary = {"total_flops_per_step": int(counter.get_total_flops()),
               "by_module": per_module, "steps_profiled": args.steps,
               "shape": {"batch": batch, "seq": seq, "d_model": args.d_model,
                         "heads": args.heads},
               "torch": torch.__version__}
    for i in range(args.steps):
        with torch.cuda.nvtx.range(f"step{i}"):
            step()
    torch.cuda.synchronize()
    if args.flops_out:
        with open(args.flops_out, "w") as f:
            json.dump(summary, f, indent=2)
    print(f"torch_step: {args.steps} steps, FlopCounterMode {summary['total_flops_per_step']:.4g} FLOPs/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
