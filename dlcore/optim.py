"""Optimizers: functional update steps and stateful optimizer classes (chapter 07).

The functional steps are the references of the chapter's exercises: each takes
a parameter, its gradient and the optimizer's state, and returns the new
parameter and the new state. Nothing is modified in place; the results have
the shape and dtype of ``param`` (float32 stays float32).

The classes keep the state for a whole model and share ONE update signature::

    new_params = optimizer.step(params, grads)

``params`` and ``grads`` are lists of arrays in the same order at every call
(the state of the i-th parameter is kept by position). ``step`` returns a new
list of new arrays and never modifies its inputs. With :mod:`dlcore.network`::

    model.set_parameters(optimizer.step(model.parameters(), model.grads()))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcore._validate import as_float_array, check_positive, check_same_shape

__all__ = [
    "sgd_step",
    "momentum_step",
    "rmsprop_step",
    "adam_step",
    "Optimizer",
    "SGD",
    "Momentum",
    "RMSProp",
    "Adam",
]


def _check_rate(value: float, name: str) -> float:
    """A decay rate in [0, 1), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _param_and_grad(param: object, grad: object) -> tuple[np.ndarray, np.ndarray]:
    param = as_float_array(param, "param")
    grad = as_float_array(grad, "grad")
    check_same_shape(grad, "grad", param.shape)
    return param, grad


def _state(value: object, name: str, param: np.ndarray) -> np.ndarray:
    arr = as_float_array(value, name)
    check_same_shape(arr, name, param.shape)
    return arr


def _cast(arr: np.ndarray, param: np.ndarray) -> np.ndarray:
    return arr.astype(param.dtype, copy=False)


def sgd_step(param: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One step of plain gradient descent.

    p <- p - lr * g

    Args:
        param: parameter p, any shape.
        grad: gradient g of the loss with respect to p, the shape of p.
        lr: learning rate, > 0.

    Returns:
        The new parameter, the shape and dtype of ``param``.
    """
    param, grad = _param_and_grad(param, grad)
    check_positive(lr, "lr")
    return _sgd(param, grad, lr)


def _sgd(param: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    return _cast(param - lr * grad, param)


def momentum_step(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, beta: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """One step of gradient descent with (heavy-ball) momentum.

    v <- beta * v - lr * g;   p <- p + v

    The velocity v is a running sum of past steps that decays by ``beta`` at
    every step; start it at zeros. On a constant gradient the step grows to
    lr * g / (1 - beta), ten times plain SGD's for beta = 0.9.

    Args:
        param: parameter p, any shape.
        grad: gradient g, the shape of p.
        velocity: velocity v from the previous step (zeros at first), the shape of p.
        lr: learning rate, > 0.
        beta: momentum coefficient in [0, 1).

    Returns:
        ``(new_param, new_velocity)``, both the shape and dtype of ``param``.
    """
    param, grad = _param_and_grad(param, grad)
    velocity = _state(velocity, "velocity", param)
    check_positive(lr, "lr")
    return _momentum(param, grad, velocity, lr, _check_rate(beta, "beta"))


def _momentum(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    v = _cast(beta * velocity - lr * grad, param)
    return _cast(param + v, param), v


def rmsprop_step(
    param: np.ndarray, grad: np.ndarray, s: np.ndarray, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """One step of RMSProp: each entry's step is divided by its recent gradient size.

    s <- rho * s + (1 - rho) * g^2;   p <- p - lr * g / (sqrt(s) + eps)

    Args:
        param: parameter p, any shape.
        grad: gradient g, the shape of p.
        s: running mean of squared gradients (zeros at first), the shape of p.
        lr: learning rate, > 0.
        rho: decay rate of the running mean, in [0, 1).
        eps: small number > 0 that keeps the division finite.

    Returns:
        ``(new_param, new_s)``, both the shape and dtype of ``param``.
    """
    param, grad = _param_and_grad(param, grad)
    s = _state(s, "s", param)
    check_positive(lr, "lr")
    rho = _check_rate(rho, "rho")
    check_positive(eps, "eps")
    return _rmsprop(param, grad, s, lr, rho, eps)


def _rmsprop(param: np.ndarray, grad: np.ndarray, s: np.ndarray, lr: float, rho: float, eps: float) -> tuple[np.ndarray, np.ndarray]:
    new_s = _cast(rho * s + (1 - rho) * (grad * grad), param)
    return _cast(param - lr * grad / (np.sqrt(new_s) + eps), param), new_s


def adam_step(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of Adam (Kingma and Ba, 2015) with bias correction.

    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)

    m and v start at zeros, so they are biased towards 0 during the first
    steps; dividing by (1 - beta^t) removes that bias. On the first step
    (t = 1) m_hat = g and v_hat = g^2, so every entry moves by about lr.

    Args:
        param: parameter p, any shape.
        grad: gradient g, the shape of p.
        m: running mean of gradients (zeros at first), the shape of p.
        v: running mean of squared gradients (zeros at first), the shape of p.
        t: number of this step, counting from 1.
        lr: learning rate, > 0.
        beta1: decay rate of m, in [0, 1).
        beta2: decay rate of v, in [0, 1).
        eps: small number > 0 that keeps the division finite.

    Returns:
        ``(new_param, new_m, new_v)``, all the shape and dtype of ``param``.
    """
    param, grad = _param_and_grad(param, grad)
    m = _state(m, "m", param)
    v = _state(v, "v", param)
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t must be an integer >= 1 (the first step is t = 1), got {t!r}")
    check_positive(lr, "lr")
    beta1 = _check_rate(beta1, "beta1")
    beta2 = _check_rate(beta2, "beta2")
    check_positive(eps, "eps")
    return _adam(param, grad, m, v, int(t), lr, beta1, beta2, eps)


def _adam(
    param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, beta1: float, beta2: float, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # The same formulas, with in-place operations on new arrays to save temporaries.
    new_m = _cast(beta1 * m, param)
    new_m += (1 - beta1) * grad
    new_v = _cast(beta2 * v, param)
    new_v += (1 - beta2) * (grad * grad)
    denominator = np.sqrt(new_v / (1 - beta2**t))
    denominator += eps
    step = new_m / (1 - beta1**t)  # m_hat
    step *= lr
    step /= denominator
    return _cast(param - step, param), new_m, new_v


class Optimizer:
    """Base class: validates ``step``'s arguments and keeps per-parameter state by position.

    Subclasses implement ``_update(i, param, grad) -> new_param`` for the i-th
    parameter and keep whatever state they need in ``self.state[i]``.
    """

    def __init__(self, lr: float) -> None:
        check_positive(lr, "lr")
        self.lr = float(lr)
        self.t = 0  # number of steps taken
        self.state: list[dict[str, np.ndarray]] = []
        self._shapes: list[tuple[int, ...]] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Take one optimization step on every parameter.

        new_params[i] = update(params[i], grads[i], state[i])

        Args:
            params: list of parameter arrays, in the same order at every call.
            grads: list of their gradients, ``grads[i]`` the shape of ``params[i]``.

        Returns:
            A new list of new arrays; ``params``, ``grads`` are not modified.

        Raises:
            ValueError: when the lists differ in length, a gradient's shape
                differs from its parameter's, or the parameters' shapes differ
                from those of the first call.
        """
        if not isinstance(params, (list, tuple)) or not isinstance(grads, (list, tuple)):
            raise ValueError("params and grads must be lists of arrays")
        if len(params) != len(grads):
            raise ValueError(f"params and grads must have the same length, got {len(params)} and {len(grads)}")
        checked = []
        for i, (p, g) in enumerate(zip(params, grads)):
            p = as_float_array(p, f"params[{i}]")
            g = as_float_array(g, f"grads[{i}]")
            check_same_shape(g, f"grads[{i}]", p.shape)
            checked.append((p, g))
        shapes = [p.shape for p, _ in checked]
        if self._shapes is None:
            self._shapes = shapes
            self.state = [{} for _ in shapes]
        elif shapes != self._shapes:
            raise ValueError(
                f"params must have the shapes of the first call to step, {self._shapes}, got {shapes}; "
                "use a new optimizer for a new model"
            )
        self.t += 1
        return [self._update(i, p, g) for i, (p, g) in enumerate(checked)]

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _zeros(self, i: int, key: str, param: np.ndarray) -> np.ndarray:
        if key not in self.state[i]:
            self.state[i][key] = np.zeros_like(param)
        return self.state[i][key]

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k not in ("state", "t"))
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Plain gradient descent: p <- p - lr * g (see :func:`sgd_step`).

    Args:
        lr: learning rate, > 0.
    """

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return _sgd(param, grad, self.lr)


class Momentum(Optimizer):
    """Gradient descent with momentum, classical or Nesterov.

    classical:  v <- beta v - lr g;  p <- p + v   (see :func:`momentum_step`)
    Nesterov:   v <- beta v - lr g;  p <- p + beta v - lr g

    The Nesterov form is the usual rewriting of "take the gradient at the
    look-ahead point p + beta v" in terms of the gradient at the stored
    parameters (as in PyTorch's ``SGD(nesterov=True)``): the step uses the
    *new* velocity once more, so it reacts sooner when the gradient turns.

    Args:
        lr: learning rate, > 0.
        beta: momentum coefficient in [0, 1).
        nesterov: use Nesterov's accelerated gradient.
    """

    def __init__(self, lr: float, beta: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.beta = _check_rate(beta, "beta")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        new_param, v = _momentum(param, grad, self._zeros(i, "velocity", param), self.lr, self.beta)
        self.state[i]["velocity"] = v
        if self.nesterov:
            new_param = _cast(param + self.beta * v - self.lr * grad, param)
        return new_param


class RMSProp(Optimizer):
    """RMSProp: steps divided by a running root mean square of the gradients (see :func:`rmsprop_step`).

    Args:
        lr: learning rate, > 0.
        rho: decay rate of the running mean of g^2, in [0, 1).
        eps: small number > 0 that keeps the division finite.
    """

    def __init__(self, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = _check_rate(rho, "rho")
        check_positive(eps, "eps")
        self.eps = float(eps)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        new_param, s = _rmsprop(param, grad, self._zeros(i, "s", param), self.lr, self.rho, self.eps)
        self.state[i]["s"] = s
        return new_param


class Adam(Optimizer):
    """Adam: momentum and RMSProp together, with bias correction (see :func:`adam_step`).

    Args:
        lr: learning rate, > 0.
        beta1: decay rate of the running mean of g, in [0, 1).
        beta2: decay rate of the running mean of g^2, in [0, 1).
        eps: small number > 0 that keeps the division finite.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.beta1 = _check_rate(beta1, "beta1")
        self.beta2 = _check_rate(beta2, "beta2")
        check_positive(eps, "eps")
        self.eps = float(eps)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        m, v = self._zeros(i, "m", param), self._zeros(i, "v", param)
        new_param, m, v = _adam(param, grad, m, v, self.t, self.lr, self.beta1, self.beta2, self.eps)
        self.state[i]["m"], self.state[i]["v"] = m, v
        return new_param
