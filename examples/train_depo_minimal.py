"""The minimal training example: a tiny GPT-2 trained for a few steps on Depo, then the
answer-token accuracy per k on a held-out evaluation stream (the task's own scorer).

    python examples/train_depo_minimal.py      (extra `train`: torch, transformers)
"""

import synthset.tasks as T
from synthset.train.loop import train


def main():
    task = T.get("depo1", N=16, K=4, V=20, min_len=1, max_len=1)  # single-token nodes
    model, result = train(task, {"type": "gpt2", "n_layer": 4, "n_embd": 128, "n_head": 4},
                          steps=300, batch_size=32, lr=2e-3, warmup=30, log_every=100)
    print(f"{result.parameters:,} parameters, {result.tokens_per_second:,.0f} tokens/s")
    for k, acc in result.metric["score_by_k"].items():
        print(f"k={k}: answer-token accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
