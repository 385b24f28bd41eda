"""Depo's hop-learning-curve experiment, run by Hydra itself (extra `train`).

    python examples/train_depo_curve_hydra.py +preset=cpu_demo
    python examples/train_depo_curve_hydra.py train.steps=400 'eval.hops=[1,2,3,4,8,16]' \
        task=depo2 task.K=16

The same configs drive `synthset curves`; Hydra picks the run folder (outputs/DATE/TIME),
where curves.csv, curves.png and config.yaml are written.
"""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from synthset.train.curves import run_curves


@hydra.main(config_path="../conf/depo_curve", config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    with open_dict(cfg):
        cfg.output_dir = HydraConfig.get().runtime.output_dir
    run_curves(cfg)


if __name__ == "__main__":
    main()
