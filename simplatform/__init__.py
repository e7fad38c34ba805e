"""simplatform: an autonomous-driving simulation testing platform.

OpenSCENARIO scenarios on OpenDRIVE maps, played by an embedded native engine
(or CARLA), observed by sensor models, driven by the stack under test through a
ROS 2 shaped bridge, and scored by metrics against stated requirements.
"""

__version__ = "0.1.0"
