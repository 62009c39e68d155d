"""The shipped stand-in recipes: one package each, its ``recipe.py`` beside the files its image is built from."""
