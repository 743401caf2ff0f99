"""A lifsim sweep on a SLURM cluster through dask-jobqueue (pip install ".[dask]" dask-jobqueue).

Run it on the cluster's login node::

    python examples/slurm_sweep.py --jobs 64 --partition normal --account myproject --data fI.zarr

Each SLURM job is one Dask worker process with ``--cores`` threads; lifsim
gives every worker tasks of whole grid points (a point too large for one task
spans several), and the store ``fI.zarr`` receives each point as it lands: if
the login session dies, run the same command again with ``--resume`` and only
the missing points run.  The numbers are bitwise those of a single process
(``lifsim.sweep`` without ``runner``), whatever the number of jobs.

``--local N`` runs the same sweep on a LocalCluster of N workers instead (what
the test suite does, since it has no SLURM); ``--print-job-script`` prints the
sbatch script dask-jobqueue would submit, and submits nothing.
"""

from __future__ import annotations

import argparse
import sys


def make_cluster(args: argparse.Namespace):  # noqa: ANN201
    """A SLURMCluster with one single-process worker per job, or a LocalCluster with --local."""
    if args.local:
        from distributed import LocalCluster

        return LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True, dashboard_address=":0")
    from dask_jobqueue import SLURMCluster

    return SLURMCluster(
        queue=args.partition,
        account=args.account,
        cores=args.cores,  # threads per worker: numba runs a task's blocks on them
        processes=1,  # one worker process per job
        memory=args.memory,
        walltime=args.walltime,
        job_extra_directives=["--exclusive"] if args.exclusive else [],
        # the workers need lifsim: activate the same environment in each job
        job_script_prologue=[f"source {args.venv}/bin/activate"] if args.venv else [],
    )


def build_parser() -> argparse.ArgumentParser:
    """The example's command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=8, help="SLURM jobs (Dask workers) to start")
    parser.add_argument("--partition", default=None, help="SLURM partition (queue)")
    parser.add_argument("--account", default=None, help="SLURM account")
    parser.add_argument("--cores", type=int, default=16, help="cores per job")
    parser.add_argument("--memory", default="32GB", help="memory per job")
    parser.add_argument("--walltime", default="04:00:00", help="wall time per job")
    parser.add_argument("--venv", default=None, help="virtual environment with lifsim, activated in every job")
    parser.add_argument("--exclusive", action="store_true", help="ask for whole nodes")
    parser.add_argument("--local", type=int, default=0, help="use a LocalCluster of this many workers instead")
    parser.add_argument("--print-job-script", action="store_true", help="print the job script and stop")
    parser.add_argument("--n", type=int, default=10_000, help="neurons per grid point")
    parser.add_argument("--t-max", default="2 s", help="simulated time per point")
    parser.add_argument("--data", default="sweep.zarr", help="the resumable store (.zarr)")
    parser.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    parser.add_argument(
        "--grid",
        action="append",
        help="NAME=VALUES, repeatable (default: i_mean=0:400pA:41, tau=10ms,20ms,40ms, sigma=2mV,5mV)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    cluster = make_cluster(args)
    if args.print_job_script:
        print(cluster.job_script())
        cluster.close()
        return 0
    from distributed import Client

    import lifsim

    if not args.local:
        cluster.scale(jobs=args.jobs)
    with Client(cluster) as client:
        print(f"dashboard: {client.dashboard_link}", file=sys.stderr)
        ds = lifsim.sweep(
            lifsim.LIFParams(t_max=args.t_max, dt="0.1 ms", t_ref="2 ms"),
            args.grid or ["i_mean=0:400pA:41", "tau=10ms,20ms,40ms", "sigma=2mV,5mV"],
            n=args.n,
            input="white",
            runner=client,
            store=args.data,
            resume=args.resume,
        )
    cluster.close()
    print(ds.rate.to_pandas() if ds.rate.ndim <= 2 else ds.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
