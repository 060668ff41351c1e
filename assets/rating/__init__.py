"""Quality ratings: annotations -> rater_model + quality_classifier -> rating_input [gate] -> quality_ratings [gate].

Thin assets over `curation.rating`: read the lake, call the pure transforms, write the lake and the model store,
report what a data engineer needs to trust the numbers (cross-validated metrics beside baselines, model versions,
devices, counts). `annotations.py` loads (and optionally requests) annotations, `models.py` trains and registers
the models, `scoring.py` gates the input and scores it."""

GROUP = "rating"
GPU_POOL = "gpu"  # one step at a time across all runs holds the accelerator
