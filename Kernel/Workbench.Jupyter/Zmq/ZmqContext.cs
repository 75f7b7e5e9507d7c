namespace Workbench.Jupyter.Zmq;

/// <summary>A libzmq context: the owner of every socket created from it.</summary>
public sealed class ZmqContext : IDisposable
{
    private IntPtr _handle;

    /// <summary>Creates a context (loads libzmq on first use).</summary>
    public ZmqContext()
    {
        ZmqNative.EnsureLoaded();
        _handle = ZmqNative.CtxNew();
        if (_handle == IntPtr.Zero)
        {
            throw new ZmqException("zmq_ctx_new", ZmqNative.Errno());
        }
    }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(ZmqContext));

    /// <summary>Creates a socket of the given type; the calling thread should be its only user.</summary>
    public ZmqSocket CreateSocket(ZmqSocketType type)
    {
        return new ZmqSocket(this, type);
    }

    /// <summary>
    /// Terminates the context. Blocks until every socket is closed and its linger time has passed, so close
    /// sockets (each on its owner thread) first.
    /// </summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle == IntPtr.Zero)
        {
            return;
        }

        while (ZmqNative.CtxTerm(handle) != 0 && ZmqNative.Errno() == ZmqNative.EIntr)
        {
        }
    }
}

/// <summary>The socket types the kernel and its tests use.</summary>
public enum ZmqSocketType
{
    /// <summary>ZMQ_PUB.</summary>
    Pub = ZmqNative.Pub,

    /// <summary>ZMQ_SUB.</summary>
    Sub = ZmqNative.Sub,

    /// <summary>ZMQ_REQ.</summary>
    Req = ZmqNative.Req,

    /// <summary>ZMQ_REP.</summary>
    Rep = ZmqNative.Rep,

    /// <summary>ZMQ_DEALER.</summary>
    Dealer = ZmqNative.Dealer,

    /// <summary>ZMQ_ROUTER.</summary>
    Router = ZmqNative.Router,
}
