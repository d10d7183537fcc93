#!/usr/bin/python3
"""boto3 and raw-HTTP clients of `twinbox cloud serve` for cloud_api.sh.

  cloud_api_client.py ENDPOINT boto3 AMI       the key pair and instance
                                               lifecycle through boto3 (container isolation)
  cloud_api_client.py ENDPOINT raw KIND        one hand-made request; prints
                                               "STATUS CODE" (CODE from the error document)
KIND: unsigned, old (signed 20 minutes ago), malformed (InstanceId.x),
unknown-action. Credentials come from the profile in AWS_PROFILE."""
import datetime
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.session


def boto3_flow(endpoint, ami):
    ec2 = boto3.client('ec2', endpoint_url=endpoint, region_name='local-1')
    key = ec2.create_key_pair(KeyName='boto')
    assert key['KeyMaterial'].startswith('-----BEGIN'), key
    names = [k['KeyName'] for k in ec2.describe_key_pairs()['KeyPairs']]
    assert 'boto' in names, names
    types = ec2.describe_instance_types(InstanceTypes=['t3.nano'])['InstanceTypes']
    assert types[0]['VCpuInfo']['DefaultVCpus'] == 2, types
    launched = ec2.run_instances(
        ImageId=ami, InstanceType='t3.nano', KeyName='boto', MinCount=1, MaxCount=1,
        TagSpecifications=[{'ResourceType': 'instance', 'Tags': [
            {'Key': 'Name', 'Value': 'boto'}, {'Key': 'twinbox:isolation', 'Value': 'container'}]}])
    instance_id = launched['Instances'][0]['InstanceId']
    ec2.get_waiter('instance_running').wait(InstanceIds=[instance_id],
                                            WaiterConfig={'Delay': 2, 'MaxAttempts': 60})
    pages = ec2.describe_instances(Filters=[{'Name': 'tag:Name', 'Values': ['boto']}],
                                   MaxResults=5)
    found = [i for r in pages['Reservations'] for i in r['Instances']]
    assert [i['InstanceId'] for i in found] == [instance_id], found
    assert found[0]['State']['Name'] == 'running', found[0]['State']
    assert found[0]['Placement']['AvailabilityZone'] == 'local-1a', found[0]['Placement']
    assert 'NextToken' not in pages, pages
    gone = ec2.terminate_instances(InstanceIds=[instance_id])['TerminatingInstances'][0]
    assert gone['CurrentState']['Name'] in ('shutting-down', 'terminated'), gone
    ec2.delete_key_pair(KeyName='boto')
    try:
        ec2.describe_instances(InstanceIds=['i-0123456789abcdef0'])
        raise AssertionError('an unknown instance was described')
    except ec2.exceptions.ClientError as error:
        assert error.response['Error']['Code'] == 'InvalidInstanceID.NotFound', error.response
    print('boto3 ok', instance_id)


def raw(endpoint, kind):
    body = 'Action=DescribeInstances&Version=2016-11-15'
    if kind == 'malformed':
        body += '&InstanceId.x=i-1'
    if kind == 'unknown-action':
        body = 'Action=LaunchRockets&Version=2016-11-15'
    request = botocore.awsrequest.AWSRequest(
        method='POST', url=endpoint + '/', data=body,
        headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    if kind != 'unsigned':
        credentials = botocore.session.Session().get_credentials()
        signer = botocore.auth.SigV4Auth(credentials, 'ec2', 'local-1')
        if kind == 'old':
            # SigV4Auth takes its time from datetime.datetime.utcnow().
            then = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
            real = datetime.datetime

            class Old(real):
                @classmethod
                def utcnow(cls):
                    return then
            botocore.auth.datetime.datetime = Old
            signer.add_auth(request)
            botocore.auth.datetime.datetime = real
        else:
            signer.add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=body.encode(), method='POST',
                                  headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http, timeout=30) as reply:
            status, text = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    code = ET.fromstring(text).findtext('./Errors/Error/Code') or '-'
    print(status, code)


if __name__ == '__main__':
    if sys.argv[2] == 'boto3':
        boto3_flow(sys.argv[1], sys.argv[3])
    else:
        raw(sys.argv[1], sys.argv[3])
