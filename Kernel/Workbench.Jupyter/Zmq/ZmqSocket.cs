namespace Workbench.Jupyter.Zmq;

/// <summary>
/// One libzmq socket. libzmq sockets are not thread-safe: every instance must be used (and disposed) by a
/// single owner thread; other threads hand work to that thread instead of touching the socket.
/// </summary>
public sealed unsafe class ZmqSocket : IDisposable
{
    private IntPtr _handle;

    internal ZmqSocket(ZmqContext context, ZmqSocketType type)
    {
        _handle = ZmqNative.Socket(context.Handle, (int)type);
        if (_handle == IntPtr.Zero)
        {
            throw new ZmqException("zmq_socket", ZmqNative.Errno());
        }

        Type = type;
        // A short linger lets a final reply (shutdown_reply) leave before close without ever hanging exit.
        SetOption(ZmqNative.Linger, 1000);
    }

    /// <summary>The socket type.</summary>
    public ZmqSocketType Type { get; }

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(ZmqSocket));

    /// <summary>Binds to an endpoint such as <c>tcp://127.0.0.1:5555</c>.</summary>
    public void Bind(string endpoint)
    {
        if (ZmqNative.Bind(Handle, endpoint) != 0)
        {
            throw new ZmqException($"zmq_bind({endpoint})", ZmqNative.Errno());
        }
    }

    /// <summary>Connects to an endpoint (used by test clients).</summary>
    public void Connect(string endpoint)
    {
        if (ZmqNative.Connect(Handle, endpoint) != 0)
        {
            throw new ZmqException($"zmq_connect({endpoint})", ZmqNative.Errno());
        }
    }

    /// <summary>Sets an integer socket option (ZMQ_LINGER, ZMQ_SNDHWM, ...).</summary>
    public void SetOption(int option, int value)
    {
        if (ZmqNative.SetSockOpt(Handle, option, &value, sizeof(int)) != 0)
        {
            throw new ZmqException($"zmq_setsockopt({option})", ZmqNative.Errno());
        }
    }

    /// <summary>Sets a binary socket option (ZMQ_SUBSCRIBE).</summary>
    public void SetOption(int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* pointer = value)
        {
            if (ZmqNative.SetSockOpt(Handle, option, pointer, (nuint)value.Length) != 0)
            {
                throw new ZmqException($"zmq_setsockopt({option})", ZmqNative.Errno());
            }
        }
    }

    /// <summary>Subscribes a SUB socket to every topic.</summary>
    public void SubscribeAll()
    {
        SetOption(ZmqNative.Subscribe, ReadOnlySpan<byte>.Empty);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (0 = just check, -1 = forever) for something to read.
    /// </summary>
    public bool Poll(int timeoutMilliseconds)
    {
        var item = new ZmqNative.PollItem { Socket = Handle, Events = ZmqNative.PollIn };
        while (true)
        {
            var result = ZmqNative.Poll(&item, 1, timeoutMilliseconds);
            if (result >= 0)
            {
                return result > 0 && (item.REvents & ZmqNative.PollIn) != 0;
            }

            var error = ZmqNative.Errno();
            if (error != ZmqNative.EIntr)
            {
                throw new ZmqException("zmq_poll", error);
            }
        }
    }

    /// <summary>
    /// Receives one whole multipart message, waiting up to <paramref name="timeoutMilliseconds"/> for its first
    /// frame; returns null when nothing arrived in time.
    /// </summary>
    public List<byte[]>? TryReceiveMultipart(int timeoutMilliseconds)
    {
        if (!Poll(timeoutMilliseconds))
        {
            return null;
        }

        var frames = new List<byte[]>();
        ZmqNative.Message message;
        ZmqNative.MsgInit(&message);
        try
        {
            // The first frame is known to be there (poll said so); later frames of a multipart message arrive
            // atomically with it, so blocking receives cannot stall here.
            var flags = ZmqNative.DontWait;
            while (true)
            {
                var size = ZmqNative.MsgRecv(&message, Handle, flags);
                if (size < 0)
                {
                    var error = ZmqNative.Errno();
                    if (error == ZmqNative.EIntr)
                    {
                        continue;
                    }

                    if (error == ZmqNative.EAgain && frames.Count == 0)
                    {
                        return null;
                    }

                    throw new ZmqException("zmq_msg_recv", error);
                }

                var length = checked((int)ZmqNative.MsgSize(&message));
                var frame = new byte[length];
                new ReadOnlySpan<byte>(ZmqNative.MsgData(&message), length).CopyTo(frame);
                frames.Add(frame);
                if (ZmqNative.MsgMore(&message) == 0)
                {
                    return frames;
                }

                flags = 0;
            }
        }
        finally
        {
            ZmqNative.MsgClose(&message);
        }
    }

    /// <summary>Sends a multipart message (every frame but the last with ZMQ_SNDMORE).</summary>
    public void SendMultipart(IReadOnlyList<byte[]> frames)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            var flags = i < frames.Count - 1 ? ZmqNative.SndMore : 0;
            SendFrame(frames[i], flags);
        }
    }

    private void SendFrame(byte[] frame, int flags)
    {
        fixed (byte* pointer = frame)
        {
            while (ZmqNative.Send(Handle, pointer, (nuint)frame.Length, flags) < 0)
            {
                var error = ZmqNative.Errno();
                if (error != ZmqNative.EIntr)
                {
                    throw new ZmqException("zmq_send", error);
                }
            }
        }
    }

    /// <summary>Closes the socket; call on the owner thread.</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero)
        {
            ZmqNative.Close(handle);
        }
    }
}
