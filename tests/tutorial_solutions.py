"""Reference solutions of the tutorial "LIF Neuron Part I", run verbatim.

This module holds the 14 coding exercises of the Neuromatch Academy W0D1
tutorial "LIF Neuron Part I" (``/work/shared/spec/lif-neuron-part-1.md``) as
*completed solution code*, written the way the tutorial's "Click for
solution" cells are written, and a tiny harness that executes them.

Why it exists
-------------
The ``lifsim`` package re-implements this tutorial.  To test it we need an
oracle that does not share any code with the package, so this file
deliberately does **not** import ``lifsim``.  Each solution is kept as a
plain source string and executed with :func:`exec`, exactly as a student
would run the notebook cell: same loop structure, same order of
``np.random`` draws after ``np.random.seed(2020)``, same ``int(t_max / dt)``
step counts, same ``np.linspace`` time ranges and the same floating-point
expressions in the same operation order.  Results produced by the package
can therefore be compared with these bit-for-bit (or to tight tolerances).

Every solution string starts with the parameter definitions of exercise 1
(the tutorial runs its cells in one kernel, so later cells see them).

Notes on the source of the solutions
------------------------------------
* The text is taken from the tutorial's published solutions (NeuromatchAcademy
  ``precourse`` repository, ``tutorials/W0D1_PythonWorkshop1``; the solution
  files ``W0D1_Tutorial1_Solution_04e56444.py`` (ex. 8), ``684b683f`` (ex. 9),
  ``4441778c`` (ex. 10) and ``3c8e55c9`` (ex. 14), and the instructor
  notebook for the others).  Indentation (two spaces) and comments follow
  the original.  The plotting cells of the published solutions are wrapped
  in ``with plt.xkcd():`` (all but exercise 9); this has no effect on the
  computed numbers.
* Exercise 4: the SAMPLE OUTPUT of the spec starts at ``0.000 -6.0000e-02``,
  i.e. ``v`` is printed *before* it is updated.  Later revisions of the
  notebook moved the print after the update (and changed the sample output
  to start at ``-5.8750e-02``); we follow the spec's sample output.
* Exercise 14 uses ``np.std(v_n, axis=0)`` (population std, ``ddof=0``) as in
  the spec-era solution.  One revision of the solution file uses
  ``ddof=1``; we do not.
* ``label='mean $\\pm$ std'`` is written as a raw string literal inside the
  executed code, so compiling the solutions raises no invalid-escape
  ``SyntaxWarning``; the resulting label value is identical.

Harness
-------
:func:`run_solution` executes one solution in a fresh namespace holding the
real ``numpy`` as ``np`` and a :class:`PlotRecorder` (not matplotlib) as
``plt``, captures stdout, and returns what was printed and plotted together
with the final namespace (so tests can read ``v_n``, ``i``, ``t_range``,
``v_mean``, ``v_std``...).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

__all__ = ["SOLUTIONS", "PARAMS", "PlotRecorder", "run_solution"]


# Parameter definitions of Coding Exercise 1 (prefix of every solution).
PARAMS = r"""t_max = 150e-3   # second
dt = 1e-3        # second
tau = 20e-3      # second
el = -60e-3      # milivolt
vr = -70e-3      # milivolt
vth = -50e-3     # milivolt
r = 100e6        # ohm
i_mean = 25e-11  # ampere
"""


_EX1 = r"""
print(t_max, dt, tau, el, vr, vth, r, i_mean)
"""


_EX2 = r"""
# Loop for 10 steps, variable 'step' takes values from 0 to 9
for step in range(10):

  # Compute value of t
  t = step * dt

  # Compute value of i at this time step
  i = i_mean * (1 + np.sin((t * 2 * np.pi) / 0.01))

  # Print value of i
  print(i)
"""


_EX3 = r"""
# Initialize step_end
step_end = 10

# Loop for step_end steps
for step in range(step_end):

  # Compute value of t
  t = step * dt

  # Compute value of i at this time step
  i = i_mean * (1 + np.sin((t * 2 * np.pi) / 0.01))

  # Print value of t and i
  print(f'{t:.3f} {i:.4e}')
"""


_EX4 = r"""
# Initialize step_end and v0
step_end = 10
v = el

# Loop for step_end steps
for step in range(step_end):
  # Compute value of t
  t = step * dt

  # Compute value of i at this time step
  i = i_mean * (1 + np.sin((t * 2 * np.pi) / 0.01))

  # Print value of t and v
  print(f"{t:.3f} {v:.4e}")

  # Compute v
  v = v + dt/tau * (el - v + r*i)
"""


_EX5 = r"""
# Initialize step_end
step_end = 25

with plt.xkcd():
  # Initialize the figure
  plt.figure()
  plt.title('Synaptic Input $I(t)$')
  plt.xlabel('time (s)')
  plt.ylabel('$I$ (A)')

  # Loop for step_end steps
  for step in range(step_end):

    # Compute value of t
    t = step * dt

    # Compute value of i at this time step
    i = i_mean * (1 + np.sin((t * 2 * np.pi) / 0.01))

    # Plot i (use 'ko' to get small black dots (short for color='k' and marker = 'o'))
    plt.plot(t, i, 'ko')

  # Display the plot
  plt.show()
"""


_EX6 = r"""
# Initialize step_end
step_end = int(t_max / dt)

# Initialize v0
v = el

with plt.xkcd():
  # Initialize the figure
  plt.figure()
  plt.title('$V_m$ with sinusoidal I(t)')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)');

  # Loop for step_end steps
  for step in range(step_end):

    # Compute value of t
    t = step * dt

    # Compute value of i at this time step
    i = i_mean * (1 + np.sin((t * 2 * np.pi) / 0.01))

    # Compute v
    v = v + dt/tau * (el - v + r*i)

    # Plot v (using 'k.' to get even smaller markers)
    plt.plot(t, v, 'k.')

  # Display plot
  plt.show()
"""


_EX7 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end and v
step_end = int(t_max / dt)
v = el

with plt.xkcd():
  # Initialize the figure
  plt.figure()
  plt.title('$V_m$ with random I(t)')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  # loop for step_end steps
  for step in range(step_end):

    # Compute value of t
    t = step * dt

    # Get random number in correct range of -1 to 1 (will need to adjust output of np.random.random)
    random_num = 2 * np.random.random() - 1

    # Compute value of i at this time step
    i =  i_mean * (1 + 0.1 * (t_max / dt)**(0.5) * random_num)

    # Compute v
    v = v + dt/tau * (el - v + r*i)

    # Plot v (using 'k.' to get even smaller markers)
    plt.plot(t, v, 'k.')


  # Display plot
  plt.show()
"""


_EX8 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end and n
step_end = int(t_max / dt)
n = 50

# Intiatialize the list v_n with 50 values of membrane leak potential el
v_n = [el] * n

with plt.xkcd():
  # Initialize the figure
  plt.figure()
  plt.title('Multiple realizations of $V_m$')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  # Loop for step_end steps
  for step in range(step_end):

    # Compute value of t
    t = step * dt

    # Loop for n simulations
    for j in range(0, n):

      # Compute value of i at this time step
      i = i_mean * (1 + 0.1 * (t_max/dt)**(0.5) * (2* np.random.random() - 1))

      # Compute value of v for this simulation
      v_n[j] = v_n[j] + (dt / tau) * (el - v_n[j] + r*i)

    # Plot all simulations (use alpha = 0.1 to make each marker slightly transparent)
    plt.plot([t] * n, v_n, 'k.', alpha=0.1)

  # Display plot
  plt.show()
"""


_EX9 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end and n
step_end = int(t_max / dt)
n = 50

# Intiatialize the list v_n with 50 values of membrane leak potential el
v_n = [el] * n

# Initialize the figure
plt.figure()
plt.title('Multiple realizations of $V_m$')
plt.xlabel('time (s)')
plt.ylabel('$V_m$ (V)')

# Loop for step_end steps
for step in range(step_end):

  # Compute value of t
  t = step * dt

  # Loop for n simulations
  for j in range(0, n):

    # Compute value of i at this time step
    i = i_mean * (1 + 0.1 * (t_max/dt)**(0.5) * (2* np.random.random() - 1))

    # Compute value of v for this simulation
    v_n[j] = v_n[j] + (dt / tau) * (el - v_n[j] + r*i)

  # Compute sample mean by summing list of v_n using sum, and dividing by n
  v_mean = sum(v_n) / n

  # Plot simulations
  plt.plot(n*[t], v_n, 'k.', alpha=0.1)

  # Plot sample mean using alpha=0.8 and'C0.' for blue
  plt.plot(t, v_mean, 'C0.', alpha=0.8, markersize=10)

# Display plot
plt.show()
"""


_EX10 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end and n
step_end = int(t_max / dt)
n = 50

# Intiatialize the list v_n with 50 values of membrane leak potential el
v_n = [el] * n

with plt.xkcd():
  # Initialize the figure
  plt.figure()
  plt.title('Multiple realizations of $V_m$')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  # Loop for step_end steps
  for step in range(step_end):

    # Compute value of t
    t = step * dt

    # Loop for n simulations
    for j in range(0, n):

      # Compute value of i at this time step
      i = i_mean * (1 + 0.1 * (t_max/dt)**(0.5) * (2* np.random.random() - 1))

      # Compute value of v for this simulation
      v_n[j] = v_n[j] + (dt / tau) * (el - v_n[j] + r*i)

    # Compute sample mean
    v_mean = sum(v_n) / n

    # Initialize a list `v_var_n` with the contribution of each V_n(t) to
    # Var(t) with a list comprehension over values of v_n
    v_var_n = [(v - v_mean)**2 for v in v_n]

    # Compute sample variance v_var by summing the values of v_var_n with sum and dividing by n-1
    v_var = sum(v_var_n) / (n - 1)

    # Compute the standard deviation v_std with the function np.sqrt
    v_std = np.sqrt(v_var)

    # Plot simulations
    plt.plot(n*[t], v_n, 'k.', alpha=0.1)

    # Plot sample mean using alpha=0.8 and'C0.' for blue
    plt.plot(t, v_mean, 'C0.', alpha=0.8, markersize=10)

    # Plot mean + standard deviation with alpha=0.8 and argument 'C7'
    plt.plot(t, v_mean + v_std, 'C7.', alpha=0.8)

    # Plot mean - standard deviation with alpha=0.8 and argument 'C7'
    plt.plot(t, v_mean - v_std, 'C7.', alpha=0.8)


  # Display plot
  plt.show()
"""


_EX11 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end, t_range, v
step_end = int(t_max / dt) - 1
t_range = np.linspace(0, t_max, num=step_end, endpoint=False)
v = el * np.ones(step_end)

# Simulate current over time
i = i_mean * (1 + 0.1 * (t_max/dt) ** (0.5) * (2 * np.random.random(step_end) - 1))

# Loop for step_end steps
for step in range(1, step_end):

  # Compute v as function of i
  v[step] = v[step - 1] + (dt / tau) * (el - v[step - 1] + r * i[step])


# Plot membrane potential
with plt.xkcd():
  plt.figure()
  plt.title('$V_m$ with random I(t)')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  plt.plot(t_range, v, 'k.')
  plt.show()
"""


_EX12 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end, t_range, v
step_end = int(t_max / dt) - 1
t_range = np.linspace(0, t_max, num=step_end, endpoint=False)
v = el * np.ones(step_end)

# Simulate current over time
i = i_mean * (1 + 0.1 * (t_max/dt) ** (0.5) * (2 * np.random.random(step_end) - 1))

# Loop for step_end values of i using enumerate
for step, i_step in enumerate(i):

  # Skip first iteration
  if step==0:
    continue

  # Compute v as function of i using i_step
  v[step] = v[step - 1] + (dt / tau) * (el - v[step - 1] + r * i_step)

# Plot figure
with plt.xkcd():
  plt.figure()
  plt.title('$V_m$ with random I(t)')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  plt.plot(t_range, v, 'k')
  plt.show()
"""


_EX13 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end, n, t_range, v and i
step_end = int(t_max / dt)
n = 50
t_range = np.linspace(0, t_max, num=step_end)
v_n = el * np.ones([n, step_end])
i = i_mean * (1 + 0.1 * (t_max / dt)**(0.5) * (2 * np.random.random([n, step_end]) - 1))

# Loop for step_end - 1 steps
for step in range(1, step_end):

   # Compute v_n
   v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])

# Plot figure
with plt.xkcd():
  plt.figure()
  plt.title('Multiple realizations of $V_m$')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  plt.plot(t_range, v_n.T, 'k', alpha=0.3)
  plt.show()
"""


_EX14 = r"""
# Set random number generator
np.random.seed(2020)

# Initialize step_end, n, t_range, v and i
step_end = int(t_max / dt)
n = 50
t_range = np.linspace(0, t_max, num=step_end)
v_n = el * np.ones([n, step_end])
i = i_mean * (1 + 0.1 * (t_max / dt)**(0.5) * (2 * np.random.random([n, step_end]) - 1))

# Loop for step_end - 1 steps
for step in range(1, step_end):

  # Compute v_n
  v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])

# Compute sample mean (use np.mean)
v_mean = np.mean(v_n, axis=0)

# Compute sample standard deviation (use np.std)
v_std = np.std(v_n, axis=0)

# Plot figure
with plt.xkcd():
  plt.figure()
  plt.title('Multiple realizations of $V_m$')
  plt.xlabel('time (s)')
  plt.ylabel('$V_m$ (V)')

  plt.plot(t_range, v_n.T, 'k', alpha=0.3)

  plt.plot(t_range, v_n[-1], 'k', alpha=0.3, label='V(t)')
  plt.plot(t_range, v_mean, 'C0', alpha=0.8, label='mean')
  plt.plot(t_range, v_mean+v_std, 'C7', alpha=0.8)
  plt.plot(t_range, v_mean-v_std, 'C7', alpha=0.8, label=r'mean $\pm$ std')

  plt.legend()
  plt.show()
"""


#: Exercise number -> complete solution source (parameters + exercise code).
SOLUTIONS: dict[int, str] = {
    1: PARAMS + _EX1,
    2: PARAMS + _EX2,
    3: PARAMS + _EX3,
    4: PARAMS + _EX4,
    5: PARAMS + _EX5,
    6: PARAMS + _EX6,
    7: PARAMS + _EX7,
    8: PARAMS + _EX8,
    9: PARAMS + _EX9,
    10: PARAMS + _EX10,
    11: PARAMS + _EX11,
    12: PARAMS + _EX12,
    13: PARAMS + _EX13,
    14: PARAMS + _EX14,
}


class PlotRecorder:
    """A stand-in for ``matplotlib.pyplot`` that only records calls.

    ``plots`` holds one ``(args, kwargs)`` tuple per ``plot`` call.  Every
    positional argument that is a string (a format string such as ``'k.'``)
    is kept as ``str``; every other positional argument is data and is
    stored as a *copy* ``np.array(arg, dtype=float)`` (0-d for scalars), so
    later in-place changes to the caller's list/array (e.g. ``v_n`` in
    exercises 8-10) do not alter what was recorded.  ``kwargs`` are stored
    as a plain dict copy.
    """

    def __init__(self) -> None:
        self.plots: list[tuple[tuple, dict]] = []
        self.titles: list[str] = []
        self.xlabels: list[str] = []
        self.ylabels: list[str] = []
        self.legends: list[tuple[tuple, dict]] = []
        self.figures: int = 0
        self.shows: int = 0
        self.xkcd_calls: int = 0

    # -- recorded calls -------------------------------------------------
    def plot(self, *args, **kwargs):
        conv = tuple(
            a if isinstance(a, str) else np.array(a, dtype=float) for a in args
        )
        self.plots.append((conv, dict(kwargs)))
        return []

    def title(self, label, *args, **kwargs):
        self.titles.append(label)

    def xlabel(self, label, *args, **kwargs):
        self.xlabels.append(label)

    def ylabel(self, label, *args, **kwargs):
        self.ylabels.append(label)

    def legend(self, *args, **kwargs):
        self.legends.append((args, dict(kwargs)))

    def figure(self, *args, **kwargs):
        self.figures += 1
        return None

    def show(self, *args, **kwargs):
        self.shows += 1

    @contextlib.contextmanager
    def xkcd(self, *args, **kwargs):
        self.xkcd_calls += 1
        yield self


def run_solution(ex: int) -> dict:
    """Execute ``SOLUTIONS[ex]`` verbatim and return what it printed/plotted.

    Returns a dict with keys:

    * ``"stdout_lines"``: list of printed lines (without newlines),
    * ``"plots"``: list of ``(args, kwargs)`` per ``plt.plot`` call
      (see :class:`PlotRecorder` for the conversion rules),
    * ``"title"``, ``"xlabel"``, ``"ylabel"``: last value set, or ``None``,
    * ``"legend"``: list of ``(args, kwargs)`` per ``plt.legend`` call,
    * ``"figures"``, ``"shows"``, ``"xkcd"``: call counts,
    * ``"namespace"``: the final exec namespace (``v_n``, ``i``, ...).
    """
    source = SOLUTIONS[ex]
    recorder = PlotRecorder()
    namespace: dict = {"np": np, "plt": recorder}
    code = compile(source, f"<tutorial solution {ex}>", "exec")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, namespace)
    return {
        "stdout_lines": buf.getvalue().splitlines(),
        "plots": recorder.plots,
        "title": recorder.titles[-1] if recorder.titles else None,
        "xlabel": recorder.xlabels[-1] if recorder.xlabels else None,
        "ylabel": recorder.ylabels[-1] if recorder.ylabels else None,
        "legend": recorder.legends,
        "figures": recorder.figures,
        "shows": recorder.shows,
        "xkcd": recorder.xkcd_calls,
        "namespace": namespace,
    }
