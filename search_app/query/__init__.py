"""Engine-neutral search: the query parser and analyser, the plan, the request/response contract, the engine protocol."""
