#!/usr/bin/python3
"""Writes test/fixtures/metrics/sklearn.json: classification metrics computed by scikit-learn, the reference
that test/metrics/classification.test.ts compares lib/metrics with. Run once with Debian's python3-sklearn
(apt-get install python3-sklearn); the JSON is committed, so neither tests nor users need Python.

    /usr/bin/python3 scripts/sklearn-fixtures.py
"""
import json
import os
import random

import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, roc_auc_score

rng = random.Random(11)
cases = []
for (n, c, skew) in [(50, 3, 0.0), (200, 4, 0.5), (37, 5, 0.8), (12, 3, 0.0)]:
    y_true = [rng.randrange(c) for _ in range(n)]
    # a noisy classifier that never predicts the last class (precision 0/0 -> 0)
    y_pred = [t if rng.random() < 0.6 + 0.3 * skew else rng.randrange(c - 1) for t in y_true]
    y_pred = [min(p, c - 2) for p in y_pred]
    labels = list(range(c))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    avg = {}
    for a in ('macro', 'weighted'):
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=a, zero_division=0)
        avg[a] = {'precision': ap, 'recall': ar, 'f1': af}
    cases.append({
        'yTrue': y_true, 'yPred': y_pred, 'classes': c,
        'accuracy': accuracy_score(y_true, y_pred),
        'confusion': confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        'precision': p.tolist(), 'recall': r.tolist(), 'f1': f.tolist(), 'support': s.tolist(),
        'macro': avg['macro'], 'weighted': avg['weighted'],
    })

auc = []
for (n, ties) in [(40, False), (100, True), (9, True), (300, False)]:
    y = [rng.randrange(2) for _ in range(n)]
    y[0], y[1] = 0, 1
    if ties:
        scores = [round(rng.random() * 4) / 4 + 0.25 * t for t in y]  # few distinct values: many ties
    else:
        scores = [rng.random() + 0.6 * t for t in y]
    auc.append({'yTrue': y, 'scores': scores, 'auc': roc_auc_score(y, scores)})

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'metrics', 'sklearn.json')
with open(out, 'w') as fh:
    json.dump({'generator': 'scripts/sklearn-fixtures.py', 'sklearn': sklearn.__version__, 'classification': cases, 'rocAuc': auc}, fh)
    fh.write('\n')
print('wrote', out)
