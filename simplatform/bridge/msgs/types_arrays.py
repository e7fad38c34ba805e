"""std_msgs Float32MultiArray with its MultiArrayLayout / MultiArrayDimension, as frozen dataclasses.

Why: per-waypoint values along a route (``/route/speed_limits``, one float per
``nav_msgs/Path`` pose) are a plain numeric sequence; ``Float32MultiArray`` is
the ROS 2 type a stack can read without a custom package.  Layout semantics
are those of the std_msgs/MultiArrayLayout comment: dimensions outermost
first, element (i, j, k) at ``data[data_offset + dim[1].stride*i +
dim[2].stride*j + k]``, ``dim[0].stride`` the total element count.  ``data``
is a tuple of Python floats; values are float32 on every wire, so
:meth:`Float32MultiArray.from_values` rounds them to float32 once, and a
message then survives JSON, CBOR and CDR unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class MultiArrayDimension:
    """std_msgs/MultiArrayDimension: a dimension's ``label``, ``size`` and ``stride`` (elements)."""

    ROS_TYPE: ClassVar[str] = "std_msgs/msg/MultiArrayDimension"
    label: str = ""
    size: int = 0
    stride: int = 0


@dataclass(frozen=True)
class MultiArrayLayout:
    """std_msgs/MultiArrayLayout: dimensions outermost first, then leading padding elements."""

    ROS_TYPE: ClassVar[str] = "std_msgs/msg/MultiArrayLayout"
    dim: tuple[MultiArrayDimension, ...] = ()
    data_offset: int = 0


@dataclass(frozen=True)
class Float32MultiArray:
    """std_msgs/Float32MultiArray: ``data`` laid out as ``layout`` says."""

    ROS_TYPE: ClassVar[str] = "std_msgs/msg/Float32MultiArray"
    layout: MultiArrayLayout = field(default_factory=MultiArrayLayout)
    data: tuple[float, ...] = ()

    @classmethod
    def from_values(cls, values, label: str = "") -> "Float32MultiArray":
        """A one-dimensional array (one dimension ``label`` of size = stride = len(values)),
        values rounded to float32 (NaN and ±inf pass through: float32 has them)."""
        arr = np.asarray(values, dtype=np.float32).reshape(-1)
        n = int(arr.size)
        return cls(MultiArrayLayout((MultiArrayDimension(label, n, n),), 0), tuple(arr.astype(float).tolist()))

    def to_array(self) -> np.ndarray:
        """``data`` as a float32 array shaped by the layout (padding dropped; 1-D when no dims)."""
        arr = np.asarray(self.data, dtype=np.float32)[self.layout.data_offset:]
        dims = self.layout.dim
        if not dims:
            return arr
        shape = tuple(d.size for d in dims)
        strides = [d.stride for d in dims[1:]] + [1]
        index = np.zeros(shape, dtype=np.int64)
        for axis, stride in enumerate(strides):
            ax_shape = [1] * len(shape)
            ax_shape[axis] = shape[axis]
            index = index + stride * np.arange(shape[axis]).reshape(ax_shape)
        return arr[index]
