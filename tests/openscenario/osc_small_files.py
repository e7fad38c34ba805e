"""Small files the loader tests share: a one-road OpenDRIVE map and an Ego vehicle (written by each test)."""

ROAD = '''<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="4" name="r"/>
<road name="r" length="500" id="1" junction="-1"><link/><planView>
<geometry s="0" x="0" y="0" hdg="0" length="500"><line/></geometry></planView>
<lanes><laneSection s="0"><center><lane id="0" type="driving" level="false"><link/></lane></center>
<right><lane id="-1" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
</right></laneSection></lanes></road></OpenDRIVE>
'''

CAR = ('<ScenarioObject name="Ego"><Vehicle name="car" vehicleCategory="car"><BoundingBox><Center x="1.4" y="0" '
       'z="0.9"/><Dimensions width="2" length="5" height="1.8"/></BoundingBox><Performance maxSpeed="69" '
       'maxDeceleration="10" maxAcceleration="5"/><Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.8" '
       'trackWidth="1.68" positionX="2.98" positionZ="0.4"/><RearAxle maxSteering="0.5" wheelDiameter="0.8" '
       'trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles></Vehicle></ScenarioObject>')
