"""The workshop's models: notebook 3 trains and compares them, notebook 7 searches the network's
choices, notebook 4 measures against the forest.

Edit them here and every notebook uses the edit. The network's arguments named after notebook 3's
parameters (`hidden_units`, `hidden_layers`, `dropout`, `learning_rate`) are the ones notebook 7
searches.
"""

import keras
import numpy as np
from sklearn.ensemble import RandomForestClassifier


def build_model(preprocessing, *, hidden_units, hidden_layers, dropout, learning_rate):
    """A Keras network with one named input per feature, the scaling built in, and one
    probability per country; compiled with Adam and top-1 and top-5 accuracy.

    With `hidden_layers=0` it is a logistic regression: a softmax over the standardised
    features (`hidden_units` and `dropout` then play no part).

    `preprocessing` is what notebook 2 wrote (`output/prepared/preprocessing.json`): the
    features, the training split's scaler statistics and the countries.
    """
    features, countries = preprocessing["features"], preprocessing["countries"]
    mean = np.array(preprocessing["scaler"]["mean"], dtype="float32")
    variance = np.square(np.array(preprocessing["scaler"]["scale"], dtype="float32"))

    inputs = [keras.Input(shape=(1,), name=name, dtype="float32") for name in features]
    x = keras.layers.Concatenate(name="features")(inputs)
    x = keras.layers.Normalization(mean=mean, variance=variance, name="standardize")(x)
    for layer in range(1, hidden_layers + 1):
        x = keras.layers.Dense(hidden_units, activation="relu", name=f"hidden_{layer}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{layer}")(x)
    outputs = keras.layers.Dense(
        len(countries), activation="softmax", name="country_probabilities"
    )(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="jukebox")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=[
            "accuracy",
            keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"),
        ],
    )
    return model


def build_forest(*, trees, seed):
    """A scikit-learn random forest of `trees` trees.

    Each leaf holds at least 0.5% of the training songs: that keeps a tree near 100 leaves
    whatever the data's size, and the ONNX file near 10 MB (each leaf stores one probability
    per country). Notebook 4 measures every model against this forest.
    """
    return RandomForestClassifier(
        n_estimators=trees, min_samples_leaf=0.005, n_jobs=-1, random_state=seed
    )
