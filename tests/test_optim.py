"""Tests of dlcore.optim: hand-derived steps, quadratics, the class API, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.optim import SGD, Adam, Momentum, RMSProp, adam_step, momentum_step, rmsprop_step, sgd_step

P = np.array([1.0, -2.0, 0.5])
G = np.array([0.5, -4.0, 0.0])

# ------------------------------------------------------------------ functional steps


def test_sgd_step_by_hand():
    np.testing.assert_allclose(sgd_step(P, G, 0.1), [0.95, -1.6, 0.5], rtol=1e-15)


def test_momentum_step_by_hand():
    # v = 0.9 * [1, 1, 1] - 0.1 * G = [0.85, 1.3, 0.9];  p = P + v
    p, v = momentum_step(P, G, np.ones(3), lr=0.1, beta=0.9)
    np.testing.assert_allclose(v, [0.85, 1.3, 0.9], rtol=1e-15)
    np.testing.assert_allclose(p, [1.85, -0.7, 1.4], rtol=1e-15)


def test_adam_first_step_by_hand():
    # t = 1: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2, step = lr g / (|g| + eps)
    p, m, v = adam_step(P, G, np.zeros(3), np.zeros(3), t=1, lr=0.01)
    np.testing.assert_allclose(m, [0.05, -0.4, 0.0], rtol=1e-14)
    np.testing.assert_allclose(v, [0.00025, 0.016, 0.0], rtol=1e-12)
    np.testing.assert_allclose(p, [1.0 - 0.01 * 0.5 / (0.5 + 1e-8), -2.0 + 0.01 * 4.0 / (4.0 + 1e-8), 0.5], rtol=1e-14)


def test_adam_second_step_by_hand():
    m1, v1 = np.array([0.1]), np.array([0.001])  # after a first gradient of 1
    p, m, v = adam_step(np.array([0.0]), np.array([-1.0]), m1, v1, t=2, lr=0.1, eps=0.0 + 1e-8)
    # m = 0.09 - 0.1 = -0.01, v = 0.000999 + 0.001 = 0.001999
    # m_hat = -0.01 / 0.19, v_hat = 0.001999 / 0.001999 = 1
    np.testing.assert_allclose(m, [-0.01], rtol=1e-12)
    np.testing.assert_allclose(v, [0.001999], rtol=1e-12)
    np.testing.assert_allclose(p, [0.1 * (0.01 / 0.19) / (1.0 + 1e-8)], rtol=1e-10)


def test_rmsprop_step_by_hand():
    p, s = rmsprop_step(np.array([1.0]), np.array([2.0]), np.array([1.0]), lr=0.1, rho=0.5, eps=1e-8)
    # s = 0.5 + 0.5 * 4 = 2.5;  p = 1 - 0.1 * 2 / (sqrt(2.5) + eps)
    np.testing.assert_allclose(s, [2.5], rtol=1e-15)
    np.testing.assert_allclose(p, [1.0 - 0.2 / (np.sqrt(2.5) + 1e-8)], rtol=1e-15)


arrays = hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(-100, 100))


@settings(max_examples=50, deadline=None)
@given(arrays, st.floats(1e-4, 1.0), st.sampled_from([np.float32, np.float64]))
def test_steps_keep_shape_dtype_and_inputs(param, lr, dtype):
    param = param.astype(dtype)
    grad = (param[::-1] if param.ndim else param) * 0.5 + 1
    state = np.abs(grad)
    copies = [param.copy(), grad.copy(), state.copy()]
    results = [
        [sgd_step(param, grad, lr)],
        momentum_step(param, grad, state, lr),
        rmsprop_step(param, grad, state, lr),
        adam_step(param, grad, state, state, 3, lr),
    ]
    for result in results:
        for arr in result:
            assert arr.shape == param.shape and arr.dtype == dtype
    for a, c in zip((param, grad, state), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_allclose(results[0][0], param - lr * grad, rtol=1e-6 if dtype == np.float32 else 1e-15)


# ------------------------------------------------------------------- optimizer classes

A = np.array([1.0, 10.0])  # an ill-conditioned quadratic: f(p) = 0.5 sum A (p - c)^2
C = np.array([3.0, -1.0])


def quadratic_grads(params):
    return [A * (params[0] - C), 2 * (params[1] - 0.5)]


def minimise(opt, steps):
    params = [np.zeros(2), np.array([[4.0]])]
    for _ in range(steps):
        params = opt.step(params, quadratic_grads(params))
    return params


@pytest.mark.parametrize(
    "opt, steps",
    [
        (SGD(0.1), 300),
        (Momentum(0.05, 0.9), 300),
        (Momentum(0.05, 0.9, nesterov=True), 300),
        (RMSProp(0.01), 2000),
        (Adam(0.05), 2000),
    ],
    ids=["sgd", "momentum", "nesterov", "rmsprop", "adam"],
)
def test_optimizers_minimise_a_quadratic(opt, steps):
    p, q = minimise(opt, steps)
    np.testing.assert_allclose(p, C, atol=1e-2)
    np.testing.assert_allclose(q, [[0.5]], atol=1e-2)


def test_classes_match_the_functional_steps():
    params = [np.array([1.0, -1.0]), np.array([2.0])]
    grads = [np.array([0.3, -0.2]), np.array([1.5])]
    adam, mom, rms = Adam(0.01), Momentum(0.1, 0.8), RMSProp(0.01, 0.7)
    pa, pm, pr = list(params), list(params), list(params)
    ma = [np.zeros_like(p) for p in params]
    va = [np.zeros_like(p) for p in params]
    vm = [np.zeros_like(p) for p in params]
    sr = [np.zeros_like(p) for p in params]
    got_a, got_m, got_r = list(params), list(params), list(params)
    for t in (1, 2, 3):
        got_a = adam.step(got_a, grads)
        got_m = mom.step(got_m, grads)
        got_r = rms.step(got_r, grads)
        for i in range(2):
            pa[i], ma[i], va[i] = adam_step(pa[i], grads[i], ma[i], va[i], t, 0.01)
            pm[i], vm[i] = momentum_step(pm[i], grads[i], vm[i], 0.1, 0.8)
            pr[i], sr[i] = rmsprop_step(pr[i], grads[i], sr[i], 0.01, 0.7)
    for got, want in ((got_a, pa), (got_m, pm), (got_r, pr)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-15)


def test_nesterov_steps_by_hand():
    # v1 = -lr g = -0.1;  p1 = 0 + beta v1 - lr g = -0.09 - 0.1 = -0.19
    # v2 = 0.9 * -0.1 - 0.1 * 2 = -0.29;  p2 = -0.19 + 0.9 * -0.29 - 0.2 = -0.651
    opt = Momentum(0.1, 0.9, nesterov=True)
    (p1,) = opt.step([np.array([0.0])], [np.array([1.0])])
    np.testing.assert_allclose(p1, [-0.19], rtol=1e-14)
    (p2,) = opt.step([p1], [np.array([2.0])])
    np.testing.assert_allclose(p2, [-0.651], rtol=1e-14)
    # classical momentum: p1 = v1 = -0.1, p2 = -0.1 - 0.29 = -0.39
    opt = Momentum(0.1, 0.9)
    (p1,) = opt.step([np.array([0.0])], [np.array([1.0])])
    (p2,) = opt.step([p1], [np.array([2.0])])
    np.testing.assert_allclose([p1[0], p2[0]], [-0.1, -0.39], rtol=1e-14)


def test_nesterov_damps_oscillation_on_a_stiff_quadratic():
    # With lr * A = 0.5 and beta = 0.9, classical momentum oscillates with a
    # decay of sqrt(beta) = 0.95 per step, Nesterov with sqrt(beta (1 - lr A)) = 0.67.
    def loss(params):
        return 0.5 * np.sum(A * (params[0] - C) ** 2)

    nesterov, classical = loss(minimise(Momentum(0.05, 0.9, nesterov=True), 60)), loss(minimise(Momentum(0.05, 0.9), 60))
    assert nesterov < classical / 10


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.1), RMSProp(0.1), Adam(0.1)], ids=repr)
def test_step_returns_new_arrays_and_keeps_inputs(opt):
    params = [np.ones((2, 2), dtype=np.float32), np.zeros(3)]
    grads = [np.full((2, 2), 0.5, dtype=np.float32), np.ones(3)]
    copies = [a.copy() for a in params + grads]
    new = opt.step(params, grads)
    assert isinstance(new, list) and len(new) == 2
    assert all(n is not p for n, p in zip(new, params))
    assert new[0].dtype == np.float32 and new[1].dtype == np.float64
    assert not np.array_equal(new[0], params[0])
    for a, c in zip(params + grads, copies):
        np.testing.assert_array_equal(a, c)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sgd_step(P, G, 0.0), "lr must be a positive number, got 0.0"),
        (lambda: sgd_step(P, G[:2], 0.1), r"grad must have shape \(3,\), got shape \(2,\)"),
        (lambda: momentum_step(P, G, np.zeros(3), 0.1, beta=1.0), r"beta must be a number in \[0, 1\), got 1.0"),
        (lambda: momentum_step(P, G, np.zeros(2), 0.1), r"velocity must have shape \(3,\), got shape \(2,\)"),
        (lambda: adam_step(P, G, np.zeros(3), np.zeros(3), 0), r"t must be an integer >= 1 \(the first step is t = 1\), got 0"),
        (lambda: adam_step(P, G, np.zeros(3), np.zeros(3), 1, beta2=-0.1), r"beta2 must be a number in \[0, 1\)"),
        (lambda: adam_step(P, G, np.zeros(3), np.zeros(3), 1, eps=0), "eps must be a positive number, got 0"),
        (lambda: rmsprop_step(P, G, np.zeros(3), rho=1.5), r"rho must be a number in \[0, 1\), got 1.5"),
        (lambda: sgd_step(P, np.array([np.nan, 0, 0]), 0.1), "grad contains NaN"),
        (lambda: SGD(-1.0), "lr must be a positive number, got -1.0"),
        (lambda: Momentum(0.1, nesterov="yes"), "nesterov must be True or False, got 'yes'"),
        (lambda: Adam(0.1, beta1=1.0), r"beta1 must be a number in \[0, 1\), got 1.0"),
        (lambda: SGD(0.1).step([P], [G, G]), "params and grads must have the same length, got 1 and 2"),
        (lambda: SGD(0.1).step([P], [G[:2]]), r"grads\[0\] must have shape \(3,\), got shape \(2,\)"),
        (lambda: SGD(0.1).step(P, G), "params and grads must be lists of arrays"),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_step_refuses_other_shapes_than_the_first_call():
    opt = Adam()
    opt.step([P], [G])
    with pytest.raises(ValueError, match=r"params must have the shapes of the first call to step, \[\(3,\)\], got \[\(2,\)\]"):
        opt.step([P[:2]], [G[:2]])
