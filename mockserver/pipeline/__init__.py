"""The request pipeline of one vendor: stages in the order the README states, security first.

``route`` -> ``faults`` -> ``security`` -> ``parameters`` -> ``response_control`` -> ``answer`` ->
``respond``. Each stage is a small object in the module named after it, built once at start-up
(per operation, after routing); ``run.Pipeline`` runs them over one ``Exchange``. A stage either
adds what it found to the exchange, returns an early answer, or raises ``Problem``; a problem
skips to ``respond`` as the vendor's error.
"""
